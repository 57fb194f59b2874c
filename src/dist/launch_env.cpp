#include "dist/launch_env.hpp"

#include <cstdlib>

#include "config/ladder_config.hpp"
#include "util/error.hpp"

namespace ladder::dist {

namespace {

int64_t parse_count(const std::string& name, const std::string& text, int64_t min) {
    // SLURM writes per-node counts as "8(x2)": the leading number is this node's.
    size_t used = 0;
    int64_t value = 0;
    try {
        value = std::stoll(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || value < min || (used != text.size() && text[used] != '(')) {
        throw UsageError("environment variable " + name + "='" + text +
                         "': expected an integer of at least " + std::to_string(min));
    }
    return value;
}

struct Env {
    const GetEnv& getenv;

    bool has(const char* name) const {
        const char* value = getenv(name);
        return value && *value;
    }
    std::string text(const char* name) const {
        if (!has(name)) {
            throw UsageError(std::string("environment variable ") + name +
                             " is not set (needed for a distributed launch)");
        }
        return getenv(name);
    }
    int64_t count(const char* name, int64_t min) const {
        return parse_count(name, text(name), min);
    }
};

// Splits on commas outside brackets.
std::vector<std::string> split_top_level(const std::string& list) {
    std::vector<std::string> parts;
    std::string current;
    int depth = 0;
    for (const char c : list) {
        depth += c == '[' ? 1 : c == ']' ? -1 : 0;
        if (c == ',' && depth == 0) {
            parts.push_back(current);
            current.clear();
        } else {
            current += c;
        }
    }
    parts.push_back(current);
    return parts;
}

void expand_into(const std::string& pattern, const std::string& list,
                 std::vector<std::string>& out) {
    const size_t open = pattern.find('[');
    if (open == std::string::npos) {
        out.push_back(pattern);
        return;
    }
    const size_t close = pattern.find(']', open);
    if (close == std::string::npos)
        throw UsageError("SLURM_JOB_NODELIST='" + list + "': unclosed '['");
    const std::string prefix = pattern.substr(0, open), rest = pattern.substr(close + 1);
    for (const std::string& range : split_top_level(pattern.substr(open + 1, close - open - 1))) {
        const size_t dash = range.find('-');
        const std::string first = range.substr(0, dash);
        const std::string last = dash == std::string::npos ? first : range.substr(dash + 1);
        const int64_t from = parse_count("SLURM_JOB_NODELIST", first, 0);
        const int64_t to = parse_count("SLURM_JOB_NODELIST", last, from);
        for (int64_t n = from; n <= to; ++n) {
            std::string number = std::to_string(n);
            if (number.size() < first.size())
                number.insert(0, first.size() - number.size(), '0');
            expand_into(prefix + number + rest, list, out);
        }
    }
}

// torchrun's elastic agent tells its workers whether it hosts the store: exactly "True"
// (Python's str(True)), as PyTorch's _torchelastic_use_agent_store() in
// torch/distributed/rendezvous.py compares it.
void read_agent_store(const Env& env, LaunchEnv& launch) {
    const char* use = env.getenv("TORCHELASTIC_USE_AGENT_STORE");
    launch.agent_store = use && std::string(use) == "True";
    if (launch.agent_store && env.has("TORCHELASTIC_RESTART_COUNT"))
        launch.restart_count = env.count("TORCHELASTIC_RESTART_COUNT", 0);
}

}  // namespace

std::string store_prefix(const LaunchEnv& launch) {
    // PyTorch's env:// rendezvous (_create_c10d_store in torch/distributed/rendezvous.py;
    // PyTorch 1.13, Debian 12's) wraps the agent's store in
    // PrefixStore(f"/worker/attempt_{TORCHELASTIC_RESTART_COUNT}"): the agent keeps one
    // store across restarts, and the keys of a failed attempt (the ranks that joined, the
    // stop checks) must not count in the next. Later releases return the bare client, as
    // their agent makes a new store for every retry; the prefix is harmless there, since
    // ladder's ranks only meet each other.
    return launch.agent_store ? "/worker/attempt_" + std::to_string(launch.restart_count) : "";
}

int64_t slurm_job_port(int64_t job_id) {
    return 15000 + job_id % 20000;
}

std::vector<std::string> expand_hostlist(const std::string& list) {
    std::vector<std::string> hosts;
    for (const std::string& item : split_top_level(list)) {
        if (!item.empty())
            expand_into(item, list, hosts);
    }
    return hosts;
}

LaunchEnv detect_launch(const GetEnv& getenv) {
    const Env env{getenv};
    LaunchEnv launch;
    if (env.has("RANK") || env.has("WORLD_SIZE")) {
        launch.source = "torchrun";
        launch.world_size = env.count("WORLD_SIZE", 1);
        launch.rank = env.count("RANK", 0);
        launch.local_rank = env.has("LOCAL_RANK") ? env.count("LOCAL_RANK", 0) : launch.rank;
        launch.local_world_size =
            env.has("LOCAL_WORLD_SIZE") ? env.count("LOCAL_WORLD_SIZE", 1) : launch.world_size;
        if (launch.distributed()) {
            launch.master_addr = env.text("MASTER_ADDR");
            launch.master_port = env.count("MASTER_PORT", 1);
            read_agent_store(env, launch);
        }
    } else if (env.has("SLURM_PROCID") && env.has("SLURM_NTASKS")) {
        launch.source = "slurm";
        launch.world_size = env.count("SLURM_NTASKS", 1);
        launch.rank = env.count("SLURM_PROCID", 0);
        launch.local_rank = env.has("SLURM_LOCALID") ? env.count("SLURM_LOCALID", 0) : 0;
        launch.local_world_size =
            env.has("SLURM_NTASKS_PER_NODE") ? env.count("SLURM_NTASKS_PER_NODE", 1) : 1;
        if (env.has("MASTER_ADDR")) {
            launch.master_addr = env.text("MASTER_ADDR");
        } else if (launch.distributed()) {
            const std::vector<std::string> hosts = expand_hostlist(env.text("SLURM_JOB_NODELIST"));
            if (hosts.empty())
                throw UsageError("environment variable SLURM_JOB_NODELIST is empty");
            launch.master_addr = hosts.front();
        }
        if (env.has("MASTER_PORT"))
            launch.master_port = env.count("MASTER_PORT", 1);
        else if (env.has("SLURM_JOB_ID"))
            launch.master_port = slurm_job_port(env.count("SLURM_JOB_ID", 0));
    }
    if (launch.rank >= launch.world_size) {
        throw UsageError("rank " + std::to_string(launch.rank) + " is not below the world size " +
                         std::to_string(launch.world_size) + " (" + launch.source + " variables)");
    }
    if (launch.master_port > 65535) {
        throw UsageError("master port " + std::to_string(launch.master_port) + " is above 65535");
    }
    return launch;
}

std::string backend_for(const std::string& backend, const std::string& device_kind) {
    const auto backends = config::backend_setting(backend);
    const auto found = backends.find(device_kind);
    if (found == backends.end())
        throw UsageError("backend: '" + backend + "' names no backend for " + device_kind);
    return found->second;
}

LaunchEnv detect_launch() {
    return detect_launch([](const char* name) { return std::getenv(name); });
}

}  // namespace ladder::dist
