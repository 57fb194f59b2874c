#include "eval/prepared_task.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "eval/task_requests.hpp"
#include "tokenizer/bpe_loader.hpp"
#include "util/atomic_file.hpp"
#include "util/crc32c.hpp"
#include "util/error.hpp"
#include "util/format.hpp"
#include "util/input_file.hpp"

namespace ladder::eval {

namespace {

namespace fs = std::filesystem;

uint32_t file_crc(uint32_t crc, const std::string& path, const std::string& what) {
    check_input_file(path, what);
    std::ifstream in(path, std::ios::binary);
    std::vector<char> buffer(1 << 20);
    while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        crc = crc32c_extend(crc, buffer.data(), static_cast<size_t>(in.gcount()));
    }
    return crc;
}

uint32_t text_crc(uint32_t crc, const std::string& text) {
    return crc32c_extend(crc, text.data(), text.size() + 1);  // with the NUL: a separator
}

nlohmann::json ids_json(const std::vector<int32_t>& ids) {
    return nlohmann::json(ids);
}

std::vector<int32_t> ids_from(const nlohmann::json& j, int64_t vocab_size,
                              const std::string& where) {
    if (!j.is_array())
        throw UsageError(where + ": expected a list of token ids");
    std::vector<int32_t> ids;
    ids.reserve(j.size());
    for (const auto& id : j) {
        if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= vocab_size) {
            throw UsageError(where + ": token id " + id.dump() +
                             " is not below the vocabulary size " + std::to_string(vocab_size) +
                             " (prepared with another tokenizer?)");
        }
        ids.push_back(id.get<int32_t>());
    }
    return ids;
}

}  // namespace

std::string prepared_task_path(const config::LadderConfig& config, const std::string& name) {
    return (fs::path(config::ladder_dir(config)) / "tasks" / (name + ".json")).string();
}

std::string task_tokenizer(const config::LadderConfig& config) {
    if (config.tokenizer.path)
        return *config.tokenizer.path;
    if (tokenizer::is_bpe_preset(config.tokenizer.name))
        return config.tokenizer.name;
    throw UsageError(
        "tokenizer.path: required to evaluate the tasks of data.downstream with "
        "tokenizer '" +
        config.tokenizer.name +
        "' (a tokenizer.json, a .tiktoken "
        "rank file or a SentencePiece .model; presets " +
        join(tokenizer::bpe_preset_names(), ", ") + " need none)");
}

std::string task_fingerprint(const config::LadderConfig& config, const std::string& name) {
    const TaskPaths paths = task_paths(config.data.downstream.at(name));
    const std::string tokenizer = task_tokenizer(config);
    uint32_t crc = file_crc(0, paths.requests, "task requests file");
    if (paths.config)
        crc = file_crc(crc, *paths.config, "task config");
    crc = text_crc(crc, tokenizer);
    crc = file_crc(crc, tokenizer::bpe_file(tokenizer), "tokenizer.path");
    const auto& types = config.trainer.callbacks.downstream_evaluator.metric_types;
    const auto type = types.find(name);
    crc = text_crc(crc, type == types.end() ? "" : type->second);
    crc =
        text_crc(crc, config.tokenizer.bos_token_id ? std::to_string(*config.tokenizer.bos_token_id)
                                                    : "none");
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08x", crc);
    return hex;
}

bool prepared_task_current(const std::string& path, const std::string& fingerprint) {
    std::ifstream in(path);
    if (!in)
        return false;
    // The fingerprint is the file's first field: no need to parse the requests.
    std::string head(256, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<size_t>(in.gcount()));
    return head.find("{\"fingerprint\":\"" + fingerprint + "\"") == 0;
}

void write_prepared_task(const std::string& path, const PreparedTask& task) {
    std::error_code error;
    fs::create_directories(fs::path(path).parent_path(), error);
    nlohmann::ordered_json j;
    j["fingerprint"] = task.fingerprint;
    j["name"] = task.name;
    j["metric_type"] = metric_type_name(task.type);
    j["domain"] = ids_json(task.domain);
    nlohmann::ordered_json requests = nlohmann::ordered_json::array();
    for (const PreparedRequest& r : task.requests) {
        requests.push_back({{"doc_id", r.doc_id},
                            {"cont_id", r.cont_id},
                            {"label", r.label},
                            {"context", r.context},
                            {"continuation", r.continuation},
                            {"chars", r.chars},
                            {"bytes", r.bytes},
                            {"chars_no_leading_space", r.chars_no_leading_space},
                            {"bytes_no_leading_space", r.bytes_no_leading_space}});
    }
    j["requests"] = std::move(requests);
    write_text_atomically(path, [&](std::ostream& out) { out << j.dump() << "\n"; });
}

PreparedTask read_prepared_task(const std::string& path, const std::string& fingerprint,
                                int64_t vocab_size) {
    const std::string stale = "prepared task '" + path + "'";
    if (!fs::exists(path))
        throw UsageError(stale + ": missing; run `ladder prepare-tasks` with this config");
    const std::string text = read_input_file(path, "prepared task", uint64_t{1} << 34);
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error&) {
        throw UsageError(stale + ": not valid JSON; run `ladder prepare-tasks` again");
    }
    PreparedTask task;
    try {
        task.fingerprint = j.at("fingerprint").get<std::string>();
        if (task.fingerprint != fingerprint) {
            throw UsageError(stale +
                             ": made from other files or settings; run `ladder prepare-tasks`");
        }
        task.name = j.at("name").get<std::string>();
        const auto type = parse_metric_type(j.at("metric_type").get<std::string>());
        if (!type)
            throw UsageError(stale + ": unknown metric_type");
        task.type = *type;
        task.domain = ids_from(j.at("domain"), vocab_size, stale);
        for (const auto& r : j.at("requests")) {
            PreparedRequest request;
            request.doc_id = r.at("doc_id").get<int64_t>();
            request.cont_id = r.at("cont_id").get<int64_t>();
            request.label = r.at("label").get<int64_t>();
            request.context = ids_from(r.at("context"), vocab_size, stale);
            request.continuation = ids_from(r.at("continuation"), vocab_size, stale);
            request.chars = r.at("chars").get<int64_t>();
            request.bytes = r.at("bytes").get<int64_t>();
            request.chars_no_leading_space = r.at("chars_no_leading_space").get<int64_t>();
            request.bytes_no_leading_space = r.at("bytes_no_leading_space").get<int64_t>();
            if (request.continuation.empty())
                throw UsageError(stale + ": a request's continuation has no tokens");
            task.requests.push_back(std::move(request));
        }
    } catch (const nlohmann::json::exception& e) {
        throw UsageError(stale + ": " + e.what() + "; run `ladder prepare-tasks` again");
    }
    return task;
}

void set_continuation_lengths(PreparedRequest& request, const std::string& continuation) {
    const auto is_lead = [](unsigned char c) { return (c & 0xC0) != 0x80; };
    request.chars = std::count_if(continuation.begin(), continuation.end(), is_lead);
    request.bytes = static_cast<int64_t>(continuation.size());
    request.chars_no_leading_space = request.chars - 1;
    // The first code point's bytes: its lead byte and the continuation bytes after it.
    size_t first = 1;
    while (first < continuation.size() && !is_lead(continuation[first]))
        ++first;
    request.bytes_no_leading_space = request.bytes - static_cast<int64_t>(first);
}

}  // namespace ladder::eval
