// The `ladder` command line: subcommands, overrides, and how errors end the process.
#pragma once

namespace ladder::cli {

// Runs the command line; returns the process exit code (0 ok, 1 runtime failure,
// 2 usage or config error).
int run(int argc, char** argv);

}  // namespace ladder::cli
