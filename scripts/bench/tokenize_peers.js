// The peers of scripts/bench/tokenize.sh: encodes text files as `dolma tokens` prepares them
// (each file one document, stripped, EOS 100257 appended) with npm's `tiktoken` (OpenAI's
// Rust BPE compiled to WASM) or `@huggingface/tokenizers` (a JavaScript tokenizer.json
// reader), writes the uint32 ids and prints {"load_s", "encode_s", "tokens"} as JSON.
//
//   node tokenize_peers.js tiktoken <out> <files...>
//   node tokenize_peers.js hf <tokenizer.json> <out> <files...>
"use strict";
const fs = require("fs");

const eos = 100257;
const [mode, ...args] = process.argv.slice(2);
const tokenizerJson = mode === "hf" ? args.shift() : null;
const [out, ...files] = args;
const texts = files.map((f) => fs.readFileSync(f, "utf8").trim()).filter((t) => t.length > 0);

let start = process.hrtime.bigint();
let encode;
if (mode === "tiktoken") {
    const { Tiktoken } = require("tiktoken/lite");
    const spec = require("tiktoken/encoders/cl100k_base.json");
    const enc = new Tiktoken(spec.bpe_ranks, spec.special_tokens, spec.pat_str);
    encode = (text) => enc.encode(text, "all");
} else {
    const { Tokenizer } = require("@huggingface/tokenizers");
    const tokenizer = new Tokenizer(JSON.parse(fs.readFileSync(tokenizerJson, "utf8")), {});
    encode = (text) => tokenizer.encode(text, { add_special_tokens: false }).ids;
}
const loaded = process.hrtime.bigint();
const all = [];
for (const text of texts) {
    const ids = Array.from(encode(text));
    if (ids[ids.length - 1] !== eos) ids.push(eos);
    all.push(ids);
}
const encoded = process.hrtime.bigint();
const flat = Uint32Array.from(all.flat());
fs.writeFileSync(out, Buffer.from(flat.buffer));
console.log(JSON.stringify({
    load_s: Number(loaded - start) / 1e9,
    encode_s: Number(encoded - loaded) / 1e9,
    tokens: flat.length,
}));
