// Reference ids for ladder's byte-level BPE tests, from the npm packages that
// scripts/setup_tokenizers.sh installs into the tokenizer folder (NODE_PATH points there):
//
//   node bpe_reference.js tiktoken <encoding> <added.json> <texts.json> <out.json>
//       ids from `tiktoken` (OpenAI's Rust BPE compiled to WASM) for `encoding`'s ranks, with
//       the added tokens of added.json ({"content": id, ...}) as its special tokens;
//   node bpe_reference.js hf <tokenizer.json> <texts.json> <out.json>
//       ids from `@huggingface/tokenizers` reading tokenizer.json;
//   node bpe_reference.js convert <encoding> <added.json> <out tokenizer.json>
//       the tokenizer.json Hugging Face's converter makes of `encoding`'s ranks: the
//       byte-level vocabulary, one merge per token (the two parts byte-pair merging with the
//       lower ranks ends in), cl100k's Split and ByteLevel pre-tokenizers, the added tokens.
//
// texts.json is a list of strings; out.json a list of id lists, one per text.
"use strict";
const fs = require("fs");

const readJson = (path) => JSON.parse(fs.readFileSync(path, "utf8"));
const encoderFile = (encoding) => require.resolve(`tiktoken/encoders/${encoding}.json`);

function tiktokenIds(encoding, addedPath, textsPath, outPath) {
    const { Tiktoken } = require("tiktoken/lite");
    const spec = readJson(encoderFile(encoding));
    const enc = new Tiktoken(spec.bpe_ranks, readJson(addedPath), spec.pat_str);
    const ids = readJson(textsPath).map((text) => Array.from(enc.encode(text, "all")));
    enc.free();
    fs.writeFileSync(outPath, JSON.stringify(ids));
}

function hfIds(tokenizerPath, textsPath, outPath) {
    const { Tokenizer } = require("@huggingface/tokenizers");
    const tokenizer = new Tokenizer(readJson(tokenizerPath), {});
    const ids = readJson(textsPath).map(
        (text) => tokenizer.encode(text, { add_special_tokens: false }).ids);
    fs.writeFileSync(outPath, JSON.stringify(ids));
}

// GPT-2's bytes_to_unicode.
function byteAlphabet() {
    const printable = [];
    for (let b = 0; b < 256; ++b) {
        if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255))
            printable.push(b);
    }
    const chars = new Array(256);
    let next = 256;
    for (let b = 0; b < 256; ++b)
        chars[b] = String.fromCodePoint(printable.includes(b) ? b : next++);
    return chars;
}

function convert(encoding, addedPath, outPath) {
    const spec = readJson(encoderFile(encoding));
    const ranks = new Map();  // token bytes as latin1 string -> rank
    for (const line of spec.bpe_ranks.split("\n")) {
        if (!line) continue;
        const [, first, ...tokens] = line.split(" ");
        tokens.forEach((t, i) => ranks.set(Buffer.from(t, "base64").toString("latin1"), Number(first) + i));
    }
    const chars = byteAlphabet();
    const text = (bytes) => Array.from(bytes, (c) => chars[c.charCodeAt(0)]).join("");
    // tiktoken's byte pair merge, stopping before merges of rank >= maxRank.
    const bpe = (token, maxRank) => {
        let parts = Array.from(token);
        for (;;) {
            let best = -1, bestRank = Infinity;
            for (let i = 0; i + 1 < parts.length; ++i) {
                const rank = ranks.get(parts[i] + parts[i + 1]);
                if (rank !== undefined && rank < bestRank) { best = i; bestRank = rank; }
            }
            if (best < 0 || bestRank >= maxRank) return parts;
            parts.splice(best, 2, parts[best] + parts[best + 1]);
        }
    };
    const vocab = {};
    const merges = [];
    for (const [token, rank] of [...ranks].sort((a, b) => a[1] - b[1])) {
        vocab[text(token)] = rank;
        if (token.length < 2) continue;
        const parts = bpe(token, rank);
        if (parts.length === 2) merges.push(`${text(parts[0])} ${text(parts[1])}`);
    }
    const added = Object.entries(readJson(addedPath)).map(([content, id]) => ({
        id, content, single_word: false, lstrip: false, rstrip: false, normalized: false,
        special: true,
    }));
    for (const token of added) vocab[token.content] = token.id;
    const tokenizer = {
        version: "1.0",
        truncation: null,
        padding: null,
        added_tokens: added,
        normalizer: null,
        pre_tokenizer: {
            type: "Sequence",
            pretokenizers: [
                { type: "Split", pattern: { Regex: spec.pat_str }, behavior: "Removed", invert: true },
                { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
            ],
        },
        post_processor: null,
        decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
        model: {
            type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "",
            end_of_word_suffix: "", fuse_unk: false, byte_fallback: false, vocab, merges,
        },
    };
    fs.writeFileSync(outPath, JSON.stringify(tokenizer));
}

const [mode, ...args] = process.argv.slice(2);
if (mode === "tiktoken") tiktokenIds(...args);
else if (mode === "hf") hfIds(...args);
else if (mode === "convert") convert(...args);
else { console.error("usage: bpe_reference.js tiktoken|hf|convert ..."); process.exit(2); }
