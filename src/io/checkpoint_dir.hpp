// Where checkpoints live and when a directory counts as one (OLMo-core's
// olmo_core/train/checkpoint.py, Checkpointer.dir_is_checkpoint):
//   <save_folder>/step<N>/
//       model_and_optim/model.pt, model_and_optim/optim.pt   tensors
//         (sharded runs: model_and_optim/shards.json and rank<R>.bin, train/sharded_checkpoint.hpp)
//       train/rank<R>.json                                  trainer state per rank
//       config.json                                         the resolved ladder config
//       .metadata.json                                      written last: the marker
// A checkpoint is written into `step<N>-tmp` and renamed into place, so a crash never
// leaves a directory that looks complete; leftover temporaries are removed on the next run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ladder::io {

std::string checkpoint_dir(const std::string& save_folder, int64_t step);
std::string temporary_checkpoint_dir(const std::string& save_folder, int64_t step);

// N of a folder named step<N>; nullopt for any other name.
std::optional<int64_t> checkpoint_step(const std::string& dir);

// What keeps `dir` from being a complete checkpoint ("no '.metadata.json' marker (its save
// did not finish)", "'train' is a file, not a folder", ...); nullopt when every part is there.
std::optional<std::string> missing_part(const std::string& dir);

// All marker files present.
bool is_complete_checkpoint(const std::string& dir);

// Steps of the complete checkpoints in `save_folder`, ascending. `incomplete`, when given,
// receives "<folder>: <missing part>" for each step<N> entry that is not complete.
std::vector<int64_t> find_checkpoints(const std::string& save_folder,
                                      std::vector<std::string>* incomplete = nullptr);

// Whether the marker of a complete checkpoint says it was saved as ephemeral (between
// planned steps, or at a stop signal); an unreadable marker counts as permanent.
bool is_ephemeral_checkpoint(const std::string& dir);

// Deletes `step<N>-tmp` directories a crashed run left; returns how many.
int remove_temporaries(const std::string& save_folder);

// Deletes a checkpoint, its marker first, so a crash midway leaves nothing that looks
// complete.
void remove_checkpoint(const std::string& dir);

// A file of a checkpoint as its marker records it, so that a load can prove the bytes are
// the ones written.
struct FileChecksum {
    std::string file;  // relative to the checkpoint folder
    uint64_t size = 0;
    uint32_t crc32c = 0;
};

// Re-reads every file the marker of the checkpoint in `dir` lists: nullopt when each has its
// recorded size and CRC-32C (or the marker lists none, as before checksums were recorded),
// else what is wrong, naming the file ("'<path>' is damaged: ...").
std::optional<std::string> verify_checkpoint(const std::string& dir);

enum class CommitResult { saved, kept_identical };

// Renames a finished temporary into place after writing the marker `.metadata.json`;
// `ephemeral` marks a checkpoint written for a stop rather than at a planned step; `files`
// are recorded in the marker. A complete checkpoint is never written over (unlike
// OLMo-core's save_overwrite): when `final_dir` holds one with the same bytes the temporary
// is dropped (kept_identical), with other bytes it is a UsageError naming it, so no bug
// turns into lost data. An incomplete folder of that name is replaced.
CommitResult commit_checkpoint(const std::string& temporary, const std::string& final_dir,
                               const std::string& version, bool ephemeral,
                               const std::vector<FileChecksum>& files);

}  // namespace ladder::io
