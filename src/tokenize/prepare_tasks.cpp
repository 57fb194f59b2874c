// `ladder prepare-tasks`: the text of every task of data.downstream encoded with the ladder's
// tokenizer (eval::task_tokenizer), as olmo_eval's OEEvalTask.prep_examples does it
// (allenai/OLMo-in-loop-evals, src/olmo_eval/tasks.py): context and continuation encoded
// separately without special tokens, the continuation with its leading space, BOS before
// the context when the tokenizer has one; then written where training and `ladder eval`
// read it (eval/prepared_task.hpp). Part of libladder_tokenize.so, SentencePiece's module.
#include <iostream>

#include "config/ladder_config.hpp"
#include "eval/prepared_task.hpp"
#include "eval/task_requests.hpp"
#include "tokenize/text_tokenizer.hpp"
#include "util/error.hpp"
#include "util/format.hpp"

namespace ladder::tokenize {

namespace {

std::vector<int32_t> encode(TextTokenizer::Encoder& encoder, const std::string& text,
                            const std::string& where) {
    std::vector<int32_t> ids;
    encoder.encode(text, ids, where);
    return ids;
}

eval::PreparedTask prepare(const config::LadderConfig& config, const std::string& name,
                           const std::string& fingerprint, TextTokenizer::Encoder& encoder) {
    const eval::TaskFile file = eval::read_task_file(config.data.downstream.at(name));
    const auto& types = config.trainer.callbacks.downstream_evaluator.metric_types;
    const auto configured = types.find(name);
    eval::PreparedTask task;
    task.name = name;
    task.type = eval::task_metric_type(
        name, file,
        configured == types.end() ? std::nullopt : std::optional<std::string>(configured->second));
    task.fingerprint = fingerprint;
    const std::string where = "task " + name + " ('" + file.requests_path + "')";
    task.domain = encode(encoder, " ", where);
    const auto& bos = config.tokenizer.bos_token_id;
    for (const eval::TaskRequest& r : eval::scored_requests(file, task.type)) {
        eval::PreparedRequest p;
        p.doc_id = r.doc_id;
        p.cont_id = r.cont_id;
        p.label = *r.label;
        p.context = encode(encoder, r.context, where);
        if (bos && (p.context.empty() || p.context.front() != *bos))
            p.context.insert(p.context.begin(), static_cast<int32_t>(*bos));
        if (p.context.empty()) {
            throw UsageError(where + ": doc_id " + std::to_string(r.doc_id) +
                             " has a context of no tokens and the tokenizer no BOS: nothing "
                             "predicts its continuation's first token");
        }
        p.continuation = encode(encoder, r.continuation, where);
        if (p.continuation.empty()) {
            throw UsageError(where + ": doc_id " + std::to_string(r.doc_id) +
                             " has a continuation that encodes to no tokens");
        }
        eval::set_continuation_lengths(p, r.continuation);
        task.requests.push_back(std::move(p));
    }
    return task;
}

}  // namespace

void prepare_tasks(const config::LadderConfig& config) {
    if (config.data.downstream.empty()) {
        std::cout << "No tasks to prepare: data.downstream is empty\n";
        return;
    }
    // What each task is made from, first: a missing file is named before any work.
    std::map<std::string, std::string> fingerprints;
    for (const auto& [name, path] : config.data.downstream)
        fingerprints[name] = eval::task_fingerprint(config, name);
    const std::unique_ptr<TextTokenizer> tokenizer =
        TextTokenizer::load(eval::task_tokenizer(config));
    const std::unique_ptr<TextTokenizer::Encoder> encoder = tokenizer->encoder();
    for (const auto& [name, path] : config.data.downstream) {
        const std::string out = eval::prepared_task_path(config, name);
        if (eval::prepared_task_current(out, fingerprints.at(name))) {
            std::cout << "Task " << name << ": prepared already in '" << out << "'\n";
            continue;
        }
        const eval::PreparedTask task = prepare(config, name, fingerprints.at(name), *encoder);
        eval::write_prepared_task(out, task);
        std::cout << "Task " << name << " (" << eval::metric_type_name(task.type)
                  << "): " << with_commas(static_cast<int64_t>(task.requests.size()))
                  << " requests prepared into '" << out << "'\n";
    }
}

}  // namespace ladder::tokenize

// The module's entry point for `ladder prepare-tasks` (and the step train and eval run first).
extern "C" __attribute__((visibility("default"))) void ladder_prepare_tasks(
    const ladder::config::LadderConfig* config) {
    ladder::tokenize::prepare_tasks(*config);
}
