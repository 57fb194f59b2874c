"""The peer of `ladder benchmark`: the same OLMo-style model, loss and AdamW step as a
plain PyTorch loop, reading the same token file. On the CPU in fp32 (the attention
spelled out, as ladder does on LibTorch 1.13); on CUDA with bf16 autocast and
scaled_dot_product_attention (as ladder does on LibTorch 2.x), eager or torch.compile'd.

Prints one JSON object: median tokens/s over the steps after the warm-up, the matmul
ceiling measured with the same LibTorch (CPU only), the model's FLOPs per token and, on
CUDA, the peak GPU memory allocated.
"""
import argparse
import json
import math
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, size, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight).to(x.dtype)


class Attention(nn.Module):
    def __init__(self, d, heads, head_dim, theta):
        super().__init__()
        self.heads, self.head_dim, self.theta = heads, head_dim, theta
        self.w_q = nn.Linear(d, heads * head_dim, bias=False)
        self.w_k = nn.Linear(d, heads * head_dim, bias=False)
        self.w_v = nn.Linear(d, heads * head_dim, bias=False)
        self.w_out = nn.Linear(heads * head_dim, d, bias=False)
        self.q_norm = RMSNorm(heads * head_dim)
        self.k_norm = RMSNorm(heads * head_dim)

    def rope(self, x):
        T, hd = x.shape[1], self.head_dim
        inv_freq = 1.0 / (self.theta ** (torch.arange(0, hd, 2, dtype=torch.float, device=x.device) / hd))
        freqs = torch.outer(torch.arange(T, dtype=torch.float, device=x.device), inv_freq)
        pos = torch.cat((freqs, freqs), dim=-1)[:, None, :]
        x1, x2 = x.chunk(2, dim=-1)
        return x * pos.cos() + torch.cat((-x2, x1), dim=-1) * pos.sin()

    def forward(self, x, mask):
        B, T, _ = x.shape
        q = self.q_norm(self.w_q(x)).view(B, T, self.heads, self.head_dim)
        k = self.k_norm(self.w_k(x)).view(B, T, self.heads, self.head_dim)
        v = self.w_v(x).view(B, T, self.heads, self.head_dim)
        q, k, v = self.rope(q).transpose(1, 2), self.rope(k).transpose(1, 2), v.transpose(1, 2)
        if mask is None:  # CUDA: the fused causal kernels
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim) + mask
            out = torch.softmax(scores, dim=-1) @ v
        return self.w_out(out.transpose(1, 2).reshape(B, T, -1))


class Block(nn.Module):
    def __init__(self, d, heads, hidden, theta):
        super().__init__()
        self.attention = Attention(d, heads, d // heads, theta)
        self.attention_norm = RMSNorm(d)
        self.w1 = nn.Linear(d, hidden, bias=False)
        self.w2 = nn.Linear(hidden, d, bias=False)
        self.w3 = nn.Linear(d, hidden, bias=False)
        self.feed_forward_norm = RMSNorm(d)

    def forward(self, x, mask):
        h = x + self.attention_norm(self.attention(x, mask))
        return h + self.feed_forward_norm(self.w2(F.silu(self.w1(h)) * self.w3(h)))


class Transformer(nn.Module):
    def __init__(self, vocab, d, layers, heads, hidden, theta=500000.0):
        super().__init__()
        self.embeddings = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList(Block(d, heads, hidden, theta) for _ in range(layers))
        self.norm = RMSNorm(d)
        self.w_out = nn.Linear(d, vocab, bias=False)
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.trunc_normal_(p, std=0.02, a=-0.06, b=0.06)

    def forward(self, tokens):
        T = tokens.shape[1]
        mask = None if tokens.is_cuda else torch.full((T, T), float("-inf")).triu(1)
        h = self.embeddings(tokens)
        for block in self.blocks:
            h = block(h, mask)
        return self.w_out(self.norm(h))


def flops_per_token(d, layers, heads, hidden, vocab, seq):
    attention = 4 * d * d + 2 * d
    return layers * (6 * attention + 12 * d * seq + 6 * 3 * d * hidden) + 6 * (d + d * vocab)


def matmul_ceiling():
    a, b = torch.randn(512, 512), torch.randn(512, 512)
    c = a @ b
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(4):
            torch.matmul(a, b, out=c)
        best = max(best, 4 * 2 * 512**3 / (time.perf_counter() - start))
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", required=True, help="raw uint16 token file")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--d-model", type=int, default=256)
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--hidden", type=int, default=1024)
    parser.add_argument("--vocab", type=int, default=8192)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--batch", type=int, default=8, help="instances per step")
    parser.add_argument("--profile", action="store_true",
                        help="also print the share of the step spent in matrix products")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--compile", action="store_true", help="torch.compile the model")
    parser.add_argument("--warmup", type=int, default=1, help="untimed first steps")
    args = parser.parse_args()
    device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    # As ladder reads token files: uint16 while the vocabulary fits, else uint32.
    data = np.memmap(args.tokens, dtype=np.uint16 if args.vocab <= 65536 else np.uint32, mode="r")
    instances = len(data) // args.seq
    model = Transformer(args.vocab, args.d_model, args.layers, args.heads, args.hidden).to(device)
    forward = torch.compile(model) if args.compile else model
    decay = [p for n, p in model.named_parameters() if n != "embeddings.weight"]
    optimizer = torch.optim.AdamW(
        [{"params": [model.embeddings.weight], "weight_decay": 0.0}, {"params": decay, "weight_decay": 0.1}],
        lr=1e-3, betas=(0.9, 0.95), eps=1e-8)
    times = []
    profiler = torch.autograd.profiler.profile(enabled=args.profile)
    for step in range(args.steps):
        if step == 1:
            profiler.__enter__()
        start = time.perf_counter()
        rows = [(step * args.batch + i) % instances for i in range(args.batch)]
        tokens = torch.from_numpy(np.stack([data[r * args.seq:(r + 1) * args.seq] for r in rows]).astype(np.int64))
        tokens = tokens.to(device)
        labels = torch.cat([tokens[:, 1:], torch.full((args.batch, 1), -100, device=device)], dim=1)
        if device.type == "cuda":
            with torch.autocast("cuda", dtype=torch.bfloat16):
                logits = forward(tokens)
        else:
            logits = forward(tokens)
        logits = logits.float()
        lse = torch.logsumexp(logits, dim=-1)
        mask = labels != -100
        ce = F.cross_entropy(logits.view(-1, args.vocab), labels.view(-1), ignore_index=-100, reduction="sum")
        z = (lse.pow(2) * mask).sum()
        loss = (ce + 1e-5 * z) / mask.sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        times.append(time.perf_counter() - start)
    profiler.__exit__(None, None, None)
    gemm_share = None
    if args.profile:
        ops = profiler.key_averages()
        total = sum(op.self_cpu_time_total for op in ops)
        gemm = sum(op.self_cpu_time_total for op in ops if op.key in ("aten::mm", "aten::bmm", "aten::addmm"))
        gemm_share = gemm / total
    tokens_per_step = args.batch * args.seq
    print(json.dumps({
        "tokens_per_second": tokens_per_step / statistics.median(times[args.warmup:]),
        "matmul_flops": matmul_ceiling() if device.type == "cpu" else None,
        "peak_memory_bytes": torch.cuda.max_memory_allocated() if device.type == "cuda" else None,
        "flops_per_token": flops_per_token(args.d_model, args.layers, args.heads, args.hidden, args.vocab, args.seq),
        "threads": torch.get_num_threads(),
        "final_loss": float(ce.detach() / mask.sum()),
        "steps": args.steps,
        "gemm_share": gemm_share,
    }))


if __name__ == "__main__":
    main()
