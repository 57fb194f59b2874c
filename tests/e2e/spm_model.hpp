// A tiny SentencePiece BPE model trained in a test's folder, over a few hundred
// deterministic sentences from a small word list.
#pragma once

#include <sentencepiece_trainer.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "e2e/run_ladder.hpp"

namespace ladder::test {

// A few hundred deterministic sentences over a small word list: enough for a tiny BPE model
// whose pieces cover every character, so decoding gives back exactly the text.
inline std::vector<std::string> make_sentences(size_t count) {
    static const char* const words[] = {"the",     "people", "of",     "union", "state", "congress",
                                        "nation",  "peace",  "trade",  "law",   "shall", "our",
                                        "country", "year",   "public", "war",   "great", "credit",
                                        "senate",  "house",  "treaty", "duty",  "and",   "to"};
    const size_t n_words = sizeof(words) / sizeof(words[0]);
    std::vector<std::string> sentences;
    uint32_t state = 12345;
    for (size_t i = 0; i < count; ++i) {
        std::string sentence;
        const size_t length = 4 + i % 9;
        for (size_t w = 0; w < length; ++w) {
            state = state * 1103515245u + 12345u;
            sentence += (w ? " " : "") + std::string(words[(state >> 16) % n_words]);
        }
        sentence += i % 3 == 0 ? "." : (i % 3 == 1 ? "," : "!");
        sentences.push_back(sentence);
    }
    return sentences;
}

// Trains a model into `dir` and returns its path; `eos_id` -1 trains one without EOS.
inline std::string train_model(const std::string& dir, const std::string& name, int eos_id) {
    std::string corpus;
    for (const auto& sentence : make_sentences(400))
        corpus += sentence + "\n";
    write_file(dir + "/corpus.txt", corpus);
    const auto status = sentencepiece::SentencePieceTrainer::Train({
        {"input", dir + "/corpus.txt"},
        {"model_prefix", dir + "/" + name},
        {"vocab_size", "120"},
        {"model_type", "bpe"},
        {"character_coverage", "1.0"},
        {"unk_id", "0"},
        {"bos_id", "1"},
        {"eos_id", std::to_string(eos_id)},
        {"pad_id", "3"},
        {"minloglevel", "2"},
    });
    REQUIRE(status.ok());
    return dir + "/" + name + ".model";
}

}  // namespace ladder::test
