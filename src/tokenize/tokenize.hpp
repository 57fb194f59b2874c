// `ladder tokenize`: encodes documents (plain text, JSONL, JSONL.gz) with a byte-level BPE
// tokenizer or a SentencePiece model into an OLMo-style token file. Built as its own module
// (libladder_tokenize.so).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ladder::tokenize {

struct TokenizeOptions {
    std::vector<std::string> inputs;
    std::string tokenizer;  // a BPE preset or file, or a SentencePiece model
    int64_t eos = -1;
    bool eos_given = false;
    int64_t bos = -1;
    bool bos_given = false;
    std::string output;
    std::string dtype = "auto";
    std::string format = "auto";
    std::string text_field = "text";
    bool doc_per_line = false;
};

// Throws UsageError for bad input (missing file, bad JSON line, ...), naming the file.
void tokenize(const TokenizeOptions& options);

}  // namespace ladder::tokenize
