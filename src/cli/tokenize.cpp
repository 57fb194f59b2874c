// `ladder tokenize`: the command line; the encoding lives in libladder_tokenize.so.
#include "tokenize/tokenize.hpp"
#include "cli/common.hpp"
#include "cli/modules.hpp"
#include "data/token_file.hpp"
#include "tokenizer/bpe_loader.hpp"
#include "util/format.hpp"

namespace ladder::cli {

void register_tokenize(CLI::App& app) {
    auto options = std::make_shared<tokenize::TokenizeOptions>();
    CLI::App* command = app.add_subcommand(
        "tokenize", "Encode text or JSONL(.gz) documents into an OLMo token file");
    command
        ->add_option("inputs", options->inputs,
                     "text files (one document each, or one per line with --doc-per-line) and "
                     "JSONL or JSONL.gz files (one JSON object per line)")
        ->required();
    command
        ->add_option("--tokenizer,--model", options->tokenizer,
                     "a byte-level BPE preset (" + join(tokenizer::bpe_preset_names(), ", ") +
                         "; files from scripts/setup_tokenizers.sh), a Hugging Face "
                         "tokenizer.json, a tiktoken rank file (cl100k_base.tiktoken, "
                         "r50k_base.tiktoken), or a SentencePiece .model")
        ->required();
    command->add_option("-o,--output", options->output, "token file to write")->required();
    auto* eos = command->add_option("--eos", options->eos,
                                    "id appended after each document (default: the tokenizer's "
                                    "EOS: a preset's, tokenizer_config.json's beside a "
                                    "tokenizer.json, a SentencePiece model's)");
    auto* bos = command->add_option("--bos", options->bos,
                                    "id put before each document (default: none, as for OLMo's "
                                    "dolma2 data)");
    command
        ->add_option("--dtype", options->dtype,
                     "id width: " + join(data::dtype_settings(), ", ") +
                         " (auto: uint16 for up to " + with_commas(data::kUint16Vocab) + " ids)")
        ->check(CLI::IsMember(data::dtype_settings()));
    command
        ->add_option("--format", options->format,
                     "input format: text, jsonl, or auto (JSONL for .jsonl, .ndjson, .json, "
                     "each optionally .gz)")
        ->check(CLI::IsMember({"auto", "text", "jsonl"}));
    command->add_option("--text-field", options->text_field,
                        "JSONL field holding the document's text (default: text)");
    command->add_flag("--doc-per-line", options->doc_per_line,
                      "each non-empty line of a text file is a document");
    command->callback([options, eos, bos] {
        options->eos_given = eos->count() > 0;
        options->bos_given = bos->count() > 0;
        using Entry = void (*)(const tokenize::TokenizeOptions*);
        reinterpret_cast<Entry>(module_symbol("libladder_tokenize.so", "ladder_tokenize_run"))(
            options.get());
    });
}

}  // namespace ladder::cli
