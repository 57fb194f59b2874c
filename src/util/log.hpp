// Messages for people, through spdlog: on stderr as `ladder: [warning: |error: |failed: ]
// message` (spdlog::critical is a runtime failure, exit 1; error a user's mistake), with a
// `[rank R/W]` tag in multi-rank runs, and into a run's `train.log` with timestamps.
// Stdout stays for what pipes read (tables, JSON, CSV, metrics).
//
// Levels: error, warn, info, debug. `--log-level` (or LADDER_LOG_LEVEL) sets the level of
// every rank; without it rank 0 logs at info and the other ranks at warn, so one launch
// prints one stream of progress.
#pragma once

#include <spdlog/spdlog.h>

#include <optional>
#include <string>

namespace ladder::log {

// The level names the options accept, in order of verbosity.
inline constexpr const char* kLevels = "error, warn, info, debug";

// Parses a level name; throws UsageError naming `source` (the flag or variable) otherwise.
spdlog::level::level_enum parse_level(const std::string& name, const std::string& source);

// The stderr logger of this process at `level` (null: LADDER_LOG_LEVEL, else info). Called
// once by the executable before any command runs; safe to call again.
void setup(std::optional<std::string> level);

// From here on this process is rank `rank` of `world`: its lines carry `[rank R/W]` when
// world > 1, and ranks other than 0 drop to warn unless a level was asked for.
void set_rank(int64_t rank, int64_t world);

// Also writes every message at info or above, with a timestamp, to `path` (appended, so a
// resumed run keeps its history). Throws std::runtime_error when the file cannot be opened.
void add_file(const std::string& path);

// Stops writing to the files added, at the end of a run. A run that fails keeps them: its
// error, logged as the process ends, belongs in its train.log too.
void remove_files();

}  // namespace ladder::log
