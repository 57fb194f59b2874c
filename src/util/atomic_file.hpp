// Files written through a temporary beside them and renamed into place, so a reader (or a
// crash) never sees half a file.
#pragma once

#include <functional>
#include <ostream>
#include <string>

namespace ladder {

// Refuses, as a UsageError, an output `path` that is a folder, a FIFO or a device, or whose
// folder does not exist; `what` prefixes the message ("-o ").
void check_output_path(const std::string& path, const std::string& what);

// `write` fills the temporary path it is given (which keeps `path`'s extension, for
// writers that pick a format by it); then the temporary replaces `path`. On any failure
// the temporary is removed and the error propagates. A `path` that is a folder, a FIFO or
// a device, or whose folder does not exist, is a UsageError before anything is written.
void write_atomically(const std::string& path,
                      const std::function<void(const std::string& temporary)>& write);

// The same for text: `write` streams into the file. A file that cannot be opened is a
// UsageError naming `path` (a bad output path); a write that fails midway a runtime error.
void write_text_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write);

// Creates `folder` and its parents for output named by `what` ("--output-dir"). A path that
// cannot be a folder (a file or FIFO on the way, no permission, read-only) is a UsageError
// naming `what`; other failures (disk full) a runtime error.
void create_output_folder(const std::string& folder, const std::string& what);

}  // namespace ladder
