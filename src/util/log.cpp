#include "util/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "util/error.hpp"

namespace ladder::log {

namespace {

// `%*` in the stderr pattern: the level's word before a warning, an error (a user's
// mistake, exit 2), a critical line (a failure of the run or the machine, exit 1) or a debug
// line; nothing before info, so progress reads as plain sentences.
class LevelWord : public spdlog::custom_flag_formatter {
  public:
    void format(const spdlog::details::log_msg& msg, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        const char* word = "";
        switch (msg.level) {
            case spdlog::level::warn:
                word = "warning: ";
                break;
            case spdlog::level::err:
                word = "error: ";
                break;
            case spdlog::level::critical:
                word = "failed: ";
                break;
            case spdlog::level::debug:
            case spdlog::level::trace:
                word = "debug: ";
                break;
            default:
                break;
        }
        dest.append(word, word + std::char_traits<char>::length(word));
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<LevelWord>();
    }
};

struct State {
    std::shared_ptr<spdlog::logger> logger;
    std::shared_ptr<spdlog::sinks::sink> console;
    bool level_asked = false;  // --log-level or LADDER_LOG_LEVEL given
    std::string tag;           // "[rank 1/8] " or ""
};

State& state() {
    static State s;
    return s;
}

// The logger passes what any sink wants; each sink filters to its own level (the file keeps
// info even when the console shows only warnings).
void update_logger_level(State& s) {
    spdlog::level::level_enum level = s.console->level();
    for (const auto& sink : s.logger->sinks())
        level = std::min(level, sink->level());
    s.logger->set_level(level);
}

void set_console_pattern(State& s) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<LevelWord>('*').set_pattern("ladder: " + s.tag + "%*%v");
    s.console->set_formatter(std::move(formatter));
}

}  // namespace

spdlog::level::level_enum parse_level(const std::string& name, const std::string& source) {
    if (name == "error")
        return spdlog::level::err;
    if (name == "warn" || name == "warning")
        return spdlog::level::warn;
    if (name == "info")
        return spdlog::level::info;
    if (name == "debug")
        return spdlog::level::debug;
    throw UsageError(source + ": expected one of " + kLevels + ", got '" + name + "'");
}

void setup(std::optional<std::string> level) {
    State& s = state();
    if (!s.logger) {
        s.console = std::make_shared<spdlog::sinks::stderr_sink_mt>();
        s.logger = std::make_shared<spdlog::logger>("ladder", s.console);
        spdlog::set_default_logger(s.logger);
        set_console_pattern(s);
        // Errors end the process: nothing may stay buffered in the file sink.
        s.logger->flush_on(spdlog::level::info);
    }
    // A bad level is reported through the logger set up above.
    spdlog::level::level_enum chosen = spdlog::level::info;
    s.level_asked = false;
    if (level) {
        chosen = parse_level(*level, "--log-level");
        s.level_asked = true;
    } else if (const char* env = std::getenv("LADDER_LOG_LEVEL"); env && *env) {
        chosen = parse_level(env, "LADDER_LOG_LEVEL");
        s.level_asked = true;
    }
    s.console->set_level(chosen);
    update_logger_level(s);
}

void set_rank(int64_t rank, int64_t world) {
    State& s = state();
    if (!s.logger)
        setup(std::nullopt);
    s.tag = world > 1 ? "[rank " + std::to_string(rank) + "/" + std::to_string(world) + "] "
                      : std::string();
    set_console_pattern(s);
    if (rank != 0 && !s.level_asked && s.console->level() < spdlog::level::warn) {
        s.console->set_level(spdlog::level::warn);
        update_logger_level(s);
    }
}

void add_file(const std::string& path) {
    State& s = state();
    if (!s.logger)
        setup(std::nullopt);
    std::shared_ptr<spdlog::sinks::sink> file;
    try {
        file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, /*truncate=*/false);
    } catch (const spdlog::spdlog_ex& e) {
        throw std::runtime_error("cannot write the log file '" + path + "': " + e.what());
    }
    file->set_pattern("[%Y-%m-%d %H:%M:%S.%e] " + s.tag + "%l: %v");
    file->set_level(spdlog::level::info);
    s.logger->sinks().push_back(std::move(file));
    update_logger_level(s);
}

void remove_files() {
    State& s = state();
    if (!s.logger)
        return;
    s.logger->flush();
    auto& sinks = s.logger->sinks();
    sinks.erase(std::remove_if(sinks.begin(), sinks.end(),
                               [&](const auto& sink) { return sink != s.console; }),
                sinks.end());
    update_logger_level(s);
}

}  // namespace ladder::log
