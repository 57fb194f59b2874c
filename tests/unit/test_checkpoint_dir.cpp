// Checkpoint folders on disk: what counts as complete, and that a commit never writes over
// a complete checkpoint.
#include <catch2/catch.hpp>
#include <filesystem>

#include "e2e/run_folders.hpp"
#include "e2e/run_ladder.hpp"
#include "io/checkpoint_dir.hpp"
#include "util/crc32c.hpp"
#include "util/error.hpp"

using namespace ladder::io;
using ladder::test::read_file;
using ladder::test::TempDir;
using ladder::test::write_file;

namespace {

namespace fs = std::filesystem;

const char* const kFiles[] = {"model_and_optim/model.pt", "model_and_optim/optim.pt",
                              "train/rank0.json", "config.json"};

// A finished temporary holding `content` in each file, and the checksums a writer records.
std::vector<FileChecksum> write_temporary(const std::string& dir, const std::string& content) {
    std::vector<FileChecksum> files;
    for (const char* file : kFiles) {
        write_file(dir + "/" + file, content);
        files.push_back({file, content.size(), ladder::crc32c(content)});
    }
    return files;
}

}  // namespace

TEST_CASE("a commit saves, keeps an identical checkpoint, and never overwrites another",
          "[checkpoint-dir]") {
    TempDir tmp;
    const std::string save = tmp.path + "/run", final_dir = checkpoint_dir(save, 4);
    const std::string temporary = temporary_checkpoint_dir(save, 4);

    auto files = write_temporary(temporary, "weights A");
    REQUIRE(commit_checkpoint(temporary, final_dir, "1", false, files) == CommitResult::saved);
    CHECK(find_checkpoints(save) == std::vector<int64_t>{4});
    CHECK_FALSE(verify_checkpoint(final_dir));
    CHECK_FALSE(fs::exists(temporary));

    files = write_temporary(temporary, "weights A");
    CHECK(commit_checkpoint(temporary, final_dir, "1", true, files) ==
          CommitResult::kept_identical);
    CHECK_FALSE(fs::exists(temporary));
    CHECK_FALSE(is_ephemeral_checkpoint(final_dir));  // the first one, as it was

    files = write_temporary(temporary, "weights B");
    CHECK_THROWS_WITH(commit_checkpoint(temporary, final_dir, "1", false, files),
                      "'" + final_dir +
                          "' already holds a complete checkpoint with other contents; it is "
                          "never overwritten (remove it to save this step again)");
    CHECK(read_file(final_dir + "/model_and_optim/model.pt") == "weights A");

    // Damaged bytes are other contents too: they stay for a person to look at.
    write_file(final_dir + "/train/rank0.json", "weights B");
    CHECK_THROWS_AS(commit_checkpoint(temporary, final_dir, "1", false, files), ladder::UsageError);
    CHECK(read_file(final_dir + "/model_and_optim/model.pt") == "weights A");
}

TEST_CASE("an incomplete folder is replaced by a commit and named when skipped",
          "[checkpoint-dir]") {
    TempDir tmp;
    const std::string save = tmp.path + "/run";
    ladder::test::make_checkpoint(save + "/step0");
    write_file(save + "/step2/train/rank0.json", "{}");  // killed before its marker
    ladder::test::make_checkpoint(save + "/step3");
    fs::remove_all(save + "/step3/train");
    write_file(save + "/step3/train", "a file");
    write_file(save + "/step5", "a file where a folder should be");

    std::vector<std::string> incomplete;
    CHECK(find_checkpoints(save, &incomplete) == std::vector<int64_t>{0});
    CHECK(incomplete == std::vector<std::string>{
                            save + "/step2: no 'model_and_optim/model.pt'",
                            save + "/step3: 'train' is a file, not a folder",
                            save + "/step5: a file, not a folder",
                        });
    fs::remove_all(save + "/step3");
    fs::remove(save + "/step5");
    ladder::test::make_checkpoint(save + "/step2");
    fs::remove(save + "/step2/.metadata.json");
    incomplete.clear();
    find_checkpoints(save, &incomplete);
    CHECK(incomplete == std::vector<std::string>{
                            save + "/step2: no '.metadata.json' marker (its save did not finish)"});

    const std::string temporary = temporary_checkpoint_dir(save, 2);
    const auto files = write_temporary(temporary, "weights");
    CHECK(commit_checkpoint(temporary, checkpoint_dir(save, 2), "1", false, files) ==
          CommitResult::saved);
    CHECK(find_checkpoints(save) == std::vector<int64_t>{0, 2});
}
