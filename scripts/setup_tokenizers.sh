#!/usr/bin/env bash
# Makes the rank files the tokenizer presets read (dolma2: cl100k_base.tiktoken, gpt2:
# r50k_base.tiktoken) from npm's `tiktoken` package, which ships OpenAI's ranks, checked
# against the SHA-256 that tiktoken itself checks (tiktoken_ext/openai_public.py). Also
# installs the reference tokenizers the tests compare ladder's ids with: `tiktoken` and
# `@huggingface/tokenizers` (a tokenizer.json reader). Idempotent.
#
# The folder: $LADDER_TOKENIZERS, else $XDG_DATA_HOME/ladder/tokenizers (~/.local/share/...),
# where `ladder` looks for it.
set -euo pipefail

folder="${LADDER_TOKENIZERS:-${XDG_DATA_HOME:-$HOME/.local/share}/ladder/tokenizers}"
packages=(tiktoken@1.0.22 @huggingface/tokenizers@0.2.0)
declare -A sha256=(
    [cl100k_base]=223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7
    [r50k_base]=306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930
)

fail() { echo "setup_tokenizers.sh: $*" >&2; exit 1; }

current() {
    [ -f "$folder/npm/node_modules/tiktoken/package.json" ] || return 1
    [ -f "$folder/npm/node_modules/@huggingface/tokenizers/package.json" ] || return 1
    for name in "${!sha256[@]}"; do
        [ -f "$folder/$name.tiktoken" ] || return 1
    done
}
current && exit 0

command -v npm >/dev/null || fail "npm not found; run scripts/setup.sh"
mkdir -p "$folder/npm"
echo "Installing ${packages[*]} into $folder/npm"
npm install --prefix "$folder/npm" --silent --no-audit --no-fund --no-update-notifier \
    --ignore-scripts "${packages[@]}" >/dev/null || fail "npm install ${packages[*]} failed"

# The package stores ranks as "<prefix> <first rank> <base64 token> <base64 token> ...";
# a .tiktoken file has one "<base64 token> <rank>" per line, in rank order.
for name in "${!sha256[@]}"; do
    encoder="$folder/npm/node_modules/tiktoken/encoders/$name.json"
    partial="$folder/$name.tiktoken.partial"
    node -e '
        const fs = require("fs");
        const { bpe_ranks } = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
        const lines = [];
        for (const line of bpe_ranks.split("\n")) {
            if (!line) continue;
            const [, first, ...tokens] = line.split(" ");
            tokens.forEach((token, i) => lines.push([Number(first) + i, token]));
        }
        lines.sort((a, b) => a[0] - b[0]);
        fs.writeFileSync(process.argv[2], lines.map(([rank, token]) => `${token} ${rank}\n`).join(""));
    ' "$encoder" "$partial" || fail "cannot convert $encoder"
    actual=$(sha256sum "$partial" | cut -d' ' -f1)
    if [ "$actual" != "${sha256[$name]}" ]; then
        rm -f "$partial"
        fail "$name.tiktoken from $encoder has SHA-256 $actual, expected ${sha256[$name]}"
    fi
    mv "$partial" "$folder/$name.tiktoken"
    echo "Wrote $folder/$name.tiktoken"
done
