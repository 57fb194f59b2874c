#!/usr/bin/env bash
# `ladder benchmark` on one GPU against the same model and optimizer as a plain PyTorch
# loop, eager and torch.compile'd, all measured in this run on the same GPU.
#
# Model: the ladder's 190M (d_model 768, 12 layers, 12 heads, SwiGLU hidden 3072, dolma2
# vocabulary padded to 100,352), seq 4096, 8 instances per step, no grad accumulation, bf16
# autocast with fp32 weights and AdamW. 8 instances, not the planned 16, so that the PyTorch
# loop fits in memory: it keeps fp32 copies of all logits for its loss.
# Needs a build against a CUDA LibTorch (scripts/build-cluster.sh) and a Python whose torch
# sees the GPU.
#
# Then the 1B rung at its planned micro-batch (4 instances of 8,192 tokens): ddp against
# fsdp (one rank), activation checkpointing none against full, each beside the memory
# plan's prediction of its peak (`dry-run --json`'s memory total less the allowance: what
# the caching allocator holds, as "peak GPU memory allocated" measures it).
#
# Usage: scripts/bench/gpu_train.sh [STEPS]   (default 40; PYTHON=... picks the Python)
set -euo pipefail
cd "$(dirname "$0")/../.."
steps="${1:-40}"
ladder="${LADDER_BUILD_DIR:-build-cluster}/ladder"
python="${PYTHON:-python3}"
[ -x "$ladder" ] || { echo "build first: scripts/build-cluster.sh" >&2; exit 1; }
gpu="$("$python" -c 'import torch; assert torch.cuda.is_available(); print(torch.cuda.get_device_name(0))')" || {
    echo "gpu_train.sh: '$python' has no torch that sees a GPU (set PYTHON)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Random tokens below dolma2's 100,278: uint32, as ladder reads a vocabulary this large.
"$python" -c "import numpy as np; np.random.default_rng(0).integers(0, 100278, 8_000_000, dtype=np.uint32).tofile('$work/tokens.u32')"
cat >"$work/bench.yaml" <<YAML
name: gpu-bench
dir: $work/runs
sizes: [190M]
max_devices: 1
device_type: "$gpu"
sequence_length: 4096
tokenizer: {name: dolma2}
model: {rank_microbatch_size: 32768}
run:
  type: levanter
  learning_rate: 1.0e-3
  global_batch_size: 32768
  num_train_steps: $steps
  warmup: 0.1
data:
  paths: [$work/tokens.u32]
YAML

"$ladder" benchmark 190M --config "$work/bench.yaml" \
    --trainer.hard_stop="{value: $steps, unit: steps}" | tee "$work/ladder.log"
ours_tps=$(awk '/^  tokens\/s/ {print $2}' "$work/ladder.log")
ours_mem=$(awk '/^  peak memory/ {print $3}' "$work/ladder.log")
# The same without ladder's fused kernels (RMSNorm, rotary, SwiGLU, AdamW): their contribution.
"$ladder" benchmark 190M --config "$work/bench.yaml" --trainer.fused_kernels=false \
    --trainer.hard_stop="{value: $steps, unit: steps}" >"$work/unfused.log"
unfused_tps=$(awk '/^  tokens\/s/ {print $2}' "$work/unfused.log")
unfused_mem=$(awk '/^  peak memory/ {print $3}' "$work/unfused.log")

peer() {
    "$python" scripts/bench/torch_reference.py --tokens "$work/tokens.u32" --device cuda \
        --d-model 768 --layers 12 --heads 12 --hidden 3072 --vocab 100352 --seq 4096 \
        --batch 8 --steps "$steps" "$@"
}
field() { "$python" -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
eager=$(peer --warmup 3)
compiled=$(peer --warmup 8 --compile)
flops=$(field "$eager" flops_per_token)
peak=989.5e12 # bf16 dense, H100 SXM and H200

mfu() { awk -v t="$1" -v f="$flops" -v p="$peak" 'BEGIN {printf "%.1f%%", 100 * t * f / p}'; }
gib() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 2^30}'; }
printf '\nGPU training on %s: 190M, seq 4096, 8 instances/step, bf16 autocast; %s steps, median step after warm-up\n' "$gpu" "$steps"
printf '%-32s %12s %8s %10s %16s\n' "trainer" "tokens/s" "MFU" "peak GiB" "ladder / this"
printf '%-32s %12.0f %8s %10s %16s\n' "ladder benchmark" "$ours_tps" "$(mfu "$ours_tps")" "$ours_mem" "1.00x"
printf '%-32s %12.0f %8s %10s %16s\n' "ladder, fused_kernels=false" "$unfused_tps" \
    "$(mfu "$unfused_tps")" "$unfused_mem" \
    "$(awk -v a="$ours_tps" -v b="$unfused_tps" 'BEGIN {printf "%.2fx", a / b}')"
for name in eager compiled; do
    json="${!name}"
    tps=$(field "$json" tokens_per_second)
    label="PyTorch eager"
    [ "$name" = compiled ] && label="PyTorch torch.compile"
    printf '%-32s %12.0f %8s %10s %16s\n' "$label" "$tps" "$(mfu "$tps")" \
        "$(gib "$(field "$json" peak_memory_bytes)")" \
        "$(awk -v a="$ours_tps" -v b="$tps" 'BEGIN {printf "%.2fx", a / b}')"
done
printf 'PyTorch %s; final losses: eager %.3f, compiled %.3f\n' \
    "$("$python" -c 'import torch; print(torch.__version__)')" \
    "$(field "$eager" final_loss)" "$(field "$compiled" final_loss)"

# The 1B rung: layouts against ddp without recomputation, and the memory plan against the
# measured peaks.
one_b_steps=$(( steps < 20 ? steps : 20 ))
printf '\n1B on %s: 4 x 8,192 tokens per micro-batch, bf16; %s steps, median step after the first\n' "$gpu" "$one_b_steps"
printf '%-14s %10s %8s %10s %12s %14s %16s\n' "layout" "tokens/s" "MFU" "peak GiB" "planned GiB" "planned/peak" "tok/s / ddp's"
declare -A one_b_tps
for layout in "ddp none" "ddp full" "fsdp none" "fsdp full"; do
    set -- $layout
    # The 190M config, at the ladder's sequence length and 1B's planned micro-batch.
    flags=(--config "$work/bench.yaml" --sizes='[1B]' --sequence_length=8192
           --model.rank_microbatch_size=null --run.learning_rate=1.0e-4
           --trainer.activation_checkpointing.mode="$2" --trainer.data_parallel.type="$1")
    launch=()
    [ "$1" = fsdp ] && launch=(--nproc-per-node 1)  # a group of one, sharded over itself
    planned=$("$ladder" dry-run 1B --json "${flags[@]}" | "$python" -c \
        'import json,sys; m=json.load(sys.stdin)["memory"]["bytes"]; print((m["total"]-m["allowance"])/2**30)')
    if "$ladder" benchmark 1B "${flags[@]}" "${launch[@]}" \
        --trainer.hard_stop="{value: $one_b_steps, unit: steps}" >"$work/1b.log" 2>"$work/1b.err"; then
        tps=$(awk '/^  tokens\/s/ {print $2}' "$work/1b.log")
        mem=$(awk '/^  peak memory/ {print $3}' "$work/1b.log")
        one_b_mfu=$(awk '/^  MFU \(%\)/ {print $3 "%"}' "$work/1b.log")
        one_b_tps[$layout]="$tps"
        ddp_tps="${one_b_tps[ddp $2]:-}"  # the same recomputation, replicated
        printf '%-14s %10.0f %8s %10s %12.1f %14s %16s\n' "$layout" "$tps" "$one_b_mfu" "$mem" "$planned" \
            "$(awk -v a="$planned" -v b="$mem" 'BEGIN {printf "%.2f", a / b}')" \
            "$([ -n "$ddp_tps" ] && awk -v a="$tps" -v b="$ddp_tps" 'BEGIN {printf "%.2fx", a / b}' || echo -)"
    else
        printf '%-14s %10s %8s %10s %12.1f %14s %16s   (%s)\n' "$layout" "failed" "-" "-" "$planned" "-" "-" \
            "$(grep -m1 -o 'out of memory\|error: .*' "$work/1b.err" | cut -c1-60)"
    fi
done
