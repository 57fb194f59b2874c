"""Logits of a Hugging Face Olmo2/Olmo3 folder, computed as transformers' modeling code
computes them (transformers, models/olmo2/modeling_olmo2.py and models/olmo3/
modeling_olmo3.py): written here from those files with PyTorch alone, since transformers
itself cannot be installed from Debian's packages. Reads config.json and the safetensors
(one file or shards with model.safetensors.index.json) with a reader written from the
safetensors format's specification.

    python3 hf_olmo_reference.py HF_DIR TOKENS.json LOGITS.f32

TOKENS.json is a list of equal-length lists of ids; LOGITS.f32 gets [B, T, vocab_size]
float32 logits, little-endian, row-major. Everything runs in float32.
"""
import json
import os
import struct
import sys

import torch

DTYPES = {"F32": (torch.float32, torch.float32), "BF16": (torch.int16, torch.bfloat16),
          "F16": (torch.float16, torch.float16)}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    start = 8 + length
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        raw, dtype = DTYPES[entry["dtype"]]
        buffer = bytearray(data[start + begin:start + end])
        tensor = torch.frombuffer(buffer, dtype=raw).view(dtype) if buffer else torch.empty(0)
        tensors[name] = tensor.reshape(entry["shape"]).to(torch.float32)
    return tensors


def read_weights(folder):
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    weights = {}
    for name in files:
        weights.update(read_safetensors(os.path.join(folder, name)))
    return weights


def rms_norm(x, weight, eps):
    # Olmo2RMSNorm: the variance in float32, the weight multiplied before casting back.
    variance = x.pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def forward(config, w, tokens):
    batch, length = tokens.shape
    heads = config["num_attention_heads"]
    kv_heads = config.get("num_key_value_heads") or heads
    head_dim = config.get("head_dim") or config["hidden_size"] // heads
    eps = config["rms_norm_eps"]
    layers = config["num_hidden_layers"]
    types = config.get("layer_types") or ["full_attention"] * layers
    window = config.get("sliding_window")

    inv_freq = 1.0 / (config["rope_theta"] ** (torch.arange(0, head_dim, 2).float() / head_dim))
    freqs = torch.outer(torch.arange(length).float(), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()

    query = torch.arange(length).unsqueeze(1)
    key = torch.arange(length).unsqueeze(0)
    causal = key <= query
    # masking_utils.sliding_window_overlay: a key is kept when kv_idx > q_idx - window.
    sliding = causal & (key > query - window) if window else causal

    h = w["model.embed_tokens.weight"][tokens]
    for i in range(layers):
        p = f"model.layers.{i}."
        x = h
        q = rms_norm(x @ w[p + "self_attn.q_proj.weight"].T, w[p + "self_attn.q_norm.weight"], eps)
        k = rms_norm(x @ w[p + "self_attn.k_proj.weight"].T, w[p + "self_attn.k_norm.weight"], eps)
        v = x @ w[p + "self_attn.v_proj.weight"].T
        q = q.view(batch, length, heads, head_dim).transpose(1, 2)
        k = k.view(batch, length, kv_heads, head_dim).transpose(1, 2)
        v = v.view(batch, length, kv_heads, head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        # repeat_kv: query head j reads key/value head j // (heads / kv_heads).
        k = k.repeat_interleave(heads // kv_heads, dim=1)
        v = v.repeat_interleave(heads // kv_heads, dim=1)
        mask = sliding if types[i] == "sliding_attention" else causal
        scores = (q @ k.transpose(2, 3)) * head_dim ** -0.5
        scores = scores.masked_fill(~mask, float("-inf"))
        attn = torch.softmax(scores, dim=-1) @ v
        attn = attn.transpose(1, 2).reshape(batch, length, heads * head_dim)
        attn = attn @ w[p + "self_attn.o_proj.weight"].T
        h = x + rms_norm(attn, w[p + "post_attention_layernorm.weight"], eps)
        gate = h @ w[p + "mlp.gate_proj.weight"].T
        up = h @ w[p + "mlp.up_proj.weight"].T
        mlp = (torch.nn.functional.silu(gate) * up) @ w[p + "mlp.down_proj.weight"].T
        h = h + rms_norm(mlp, w[p + "post_feedforward_layernorm.weight"], eps)
    h = rms_norm(h, w["model.norm.weight"], eps)
    return h @ w["lm_head.weight"].T


def main():
    folder, tokens_path, out_path = sys.argv[1:4]
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    if config["model_type"] not in ("olmo2", "olmo3"):
        sys.exit(f"not an Olmo2/Olmo3 config: {config['model_type']}")
    with open(tokens_path) as f:
        tokens = torch.tensor(json.load(f), dtype=torch.long)
    with torch.no_grad():
        logits = forward(config, read_weights(folder), tokens)
    assert logits.shape[-1] == config["vocab_size"]
    with open(out_path, "wb") as f:
        f.write(logits.contiguous().numpy().astype("<f4").tobytes())


if __name__ == "__main__":
    main()
