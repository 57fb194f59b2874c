#!/usr/bin/env bash
# `ladder benchmark` on the CPU against the same model and optimizer as a plain PyTorch
# eager loop (Debian's python3-torch: the same LibTorch build), both measured in this run.
#
# Model: OLMo-style d_model 256, 8 layers, 8 heads, SwiGLU hidden 1024, vocab 8192,
# seq 256, 8 instances per step, no grad accumulation (12.6M params). The Python loop runs
# in its best configuration: OpenBLAS, tcmalloc preloaded, the same threads.
#
# Usage: [ROUNDS=N] scripts/bench/cpu_train.sh [STEPS]   (defaults: 3 rounds of 60 steps)
set -euo pipefail
cd "$(dirname "$0")/../.."
steps="${1:-60}"
ladder="${LADDER_BUILD_DIR:-build}/ladder"
[ -x "$ladder" ] || { echo "build first: scripts/build.sh" >&2; exit 1; }
python=/usr/bin/python3
"$python" -c 'import torch, numpy' 2>/dev/null || {
    echo "needs Debian's python3-torch: sudo apt-get install python3-torch" >&2; exit 1; }
threads=$(nproc)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 2M random tokens below the vocabulary size: the same file for both.
"$python" -c "import numpy as np; np.random.default_rng(0).integers(0, 8192, 2_000_000, dtype=np.uint16).tofile('$work/tokens.u16')"
cat > "$work/bench.yaml" <<YAML
name: cpu-bench
dir: $work/runs
sizes: [bench]
max_devices: 1
device_type: cpu
sequence_length: 256
tokenizer: {name: random-8k, vocab_size: 8192, eos_token_id: 0, pad_token_id: 1}
model:
  family: olmo2
  rank_microbatch_size: 2048
  sizes:
    bench: {d_model: 256, n_layers: 8, n_heads: 8, hidden_size: 1024}
run:
  type: levanter
  learning_rate: 1.0e-3
  global_batch_size: 2048
  num_train_steps: $steps
  warmup: 0.1
data:
  paths: [$work/tokens.u16]
trainer:
  threads: $threads
YAML

# The machine's speed drifts (shared VM), over seconds and over minutes: the two trainers
# alternate for $rounds rounds, each round's pair run back to back; the ratio is the median
# of the rounds' ratios and tokens/s the median of the rounds' medians.
rounds="${ROUNDS:-3}"
preload=""
for lib in /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 /usr/lib/aarch64-linux-gnu/libtcmalloc_minimal.so.4; do
    [ -e "$lib" ] && preload="$lib"
done
ours_log="$work/ladder.log"
results="$work/rounds.txt"
for _ in $(seq "$rounds"); do
    "$ladder" benchmark bench --config "$work/bench.yaml" --trainer.hard_stop="{value: $steps, unit: steps}" >"$ours_log" 2>&1
    ours=$(awk '/^  tokens\/s/ {print $2}' "$ours_log")
    peer_json=$(LD_PRELOAD="$preload" "$python" scripts/bench/torch_reference.py \
        --tokens "$work/tokens.u16" --steps "$steps" --threads "$threads")
    read -r peer ceiling flops <<<"$("$python" -c "import json,sys; j=json.loads(sys.argv[1]); print(j['tokens_per_second'], j['matmul_flops'], j['flops_per_token'])" "$peer_json")"
    echo "$ours $peer $ceiling" >>"$results"
done
# The ceiling: the fastest of the rounds' matmul measurements, the machine's speed when
# nothing slows it.
read -r ours_tps peer_tps ratio ratio_low ratio_high ceiling <<<"$("$python" -c "
import statistics, sys
rounds = [tuple(map(float, line.split())) for line in open(sys.argv[1])]
ratios = [a / b for a, b, _ in rounds]
print(statistics.median(a for a, _, _ in rounds), statistics.median(b for _, b, _ in rounds),
      statistics.median(ratios), min(ratios), max(ratios), max(c for _, _, c in rounds))" "$results")"

# How much of the peer's step is matrix products: what is left to win by doing the rest
# faster. The other bound is the ceiling itself: both MFUs count the same FLOPs per token,
# so a trainer running at 100% of it would be 1 / (the peer's MFU) times as fast; ladder can
# pass that only by making fewer products than the count says (it skips attention scores
# above the causal diagonal, which the count includes).
gemm_share=$(LD_PRELOAD="$preload" "$python" scripts/bench/torch_reference.py \
    --tokens "$work/tokens.u16" --steps 6 --threads "$threads" --profile |
    "$python" -c "import json,sys; print(json.load(sys.stdin)['gemm_share'])")

mfu() { awk -v t="$1" -v f="$flops" -v c="$ceiling" 'BEGIN {printf "%.1f%%", 100 * t * f / c}'; }
printf 'CPU training, 12.6M-param OLMo-style model, %s threads, %s steps; median step, median of %s alternating rounds\n' "$threads" "$steps" "$rounds"
printf 'matmul ceiling (fp32, same LibTorch): %.1f GFLOP/s; BLAS: %s\n' "$(awk -v c="$ceiling" 'BEGIN {print c / 1e9}')" \
    "$(grep -o 'BLAS [^;]*' "$ours_log" | head -1 | cut -d' ' -f2-)"
printf '%-34s %12s %8s\n' "trainer" "tokens/s" "MFU"
printf '%-34s %12.0f %8s\n' "ladder benchmark" "$ours_tps" "$(mfu "$ours_tps")"
printf '%-34s %12.0f %8s\n' "PyTorch eager (python3-torch)" "$peer_tps" "$(mfu "$peer_tps")"
printf '%-34s %12s   (rounds: %.2fx to %.2fx)\n' "ratio ladder / PyTorch" "$(awk -v r="$ratio" 'BEGIN {printf "%.2fx", r}')" "$ratio_low" "$ratio_high"
printf 'PyTorch step in mm/bmm: %.1f%%; a trainer at 100%% of the ceiling would reach %.2fx\n' \
    "$(awk -v g="$gemm_share" 'BEGIN {print 100 * g}')" \
    "$(awk -v b="$peer_tps" -v f="$flops" -v c="$ceiling" 'BEGIN {print c / (b * f)}')"
