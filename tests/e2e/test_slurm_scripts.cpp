// The cluster scripts. SLURM's without a scheduler: a stand-in `sbatch` on PATH records
// what submit-ladder.sh asks for, which must be what `ladder dry-run --json` plans. The
// dependency packer for nodes that cannot install packages, on this machine's packages.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "e2e/run_ladder.hpp"

using ladder::test::read_file;
using ladder::test::run_ladder;
using ladder::test::TempDir;
using ladder::test::write_file;

namespace {

const std::string kScripts = std::string(LADDER_SOURCE_DIR) + "/scripts/slurm";

int shell(const std::string& command) {
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Two GPU sizes: "small" fits one node, "large" (4 GPUs per node below) needs two.
const char* kLadder =
    "name: gpu\n"
    "dir: runs\n"
    "sizes: [small, large]\n"
    "max_devices: 8\n"
    "device_type: h100\n"
    "sequence_length: 256\n"
    "tokenizer: {name: synthetic, vocab_size: 512, eos_token_id: 0, pad_token_id: 1}\n"
    "model: {family: olmo2, rank_microbatch_size: 256,\n"
    "        sizes: {small: {d_model: 64, n_layers: 2, n_heads: 4},\n"
    "                large: {d_model: 128, n_layers: 4, n_heads: 4}}}\n"
    "run: {type: levanter, learning_rate: 1.0e-3, global_batch_size: 4096,\n"
    "      num_train_steps: 40, warmup: 4, decay: 0.2, cycles: 1}\n"
    "data: {paths: [d.u16]}\n";

}  // namespace

TEST_CASE("the SLURM scripts parse and pass shellcheck", "[slurm]") {
    for (const char* script : {"ladder.sbatch", "submit-ladder.sh"}) {
        INFO(script);
        CHECK(shell("bash -n '" + kScripts + "/" + script + "'") == 0);
        if (shell("command -v shellcheck >/dev/null") == 0)
            CHECK(shell("shellcheck '" + kScripts + "/" + script + "'") == 0);
    }
}

TEST_CASE("submit-ladder.sh requests the planned GPUs and skips finished sizes", "[slurm]") {
    TempDir dir;
    write_file(dir.path + "/gpu.yaml", kLadder);
    write_file(dir.path + "/bin/sbatch", "#!/bin/sh\necho \"$@\" >>\"$(dirname \"$0\")/calls\"\n");
    REQUIRE(shell("chmod +x '" + dir.path + "/bin/sbatch'") == 0);
    const auto plan =
        nlohmann::json::parse(run_ladder("dry-run large --json --config gpu.yaml", dir.path).out);
    const int64_t devices = plan["num_devices"];
    REQUIRE(devices == 8);

    // small's final planned checkpoint is on disk (complete): it is skipped.
    const auto checkpoints = nlohmann::json::parse(
        run_ladder("checkpoints small --json --config gpu.yaml", dir.path).out);
    const std::string final_dir = checkpoints["small"].back()["path"];
    for (const char* file : {".metadata.json", "train/rank0.json", "model_and_optim/model.pt",
                             "model_and_optim/optim.pt"}) {
        write_file(final_dir + "/" + file, "{}");
    }
    const std::string submit = "cd '" + dir.path + "' && PATH='" + dir.path +
                               "/bin':$PATH LADDER_BIN='" + LADDER_BINARY + "' '" + kScripts +
                               "/submit-ladder.sh' --gpus-per-node 4 gpu.yaml -- --partition=p1 "
                               ">out.txt 2>err.txt";
    REQUIRE(shell(submit) == 0);
    const std::string out = read_file(dir.path + "/out.txt");
    INFO(out << read_file(dir.path + "/err.txt"));
    CHECK(out.find("small: final checkpoint exists; skipped") != std::string::npos);
    CHECK(out.find("large: 8 GPU(s) on 2 node(s)") != std::string::npos);
    CHECK(read_file(dir.path + "/bin/calls") ==
          "--job-name ladder-large --nodes 2 --ntasks-per-node 4 --gpus-per-node 4 --export "
          "ALL,LADDER_BIN=" +
              std::string(LADDER_BINARY) + ",LADDER_CONFIG=" + dir.path +
              "/gpu.yaml,LADDER_SIZE=large --partition=p1 " + kScripts + "/ladder.sbatch\n");

    // A size the ladder does not have is refused before anything is submitted.
    CHECK(shell("cd '" + dir.path + "' && PATH='" + dir.path + "/bin':$PATH LADDER_BIN='" +
                LADDER_BINARY + "' '" + kScripts +
                "/submit-ladder.sh' gpu.yaml huge 2>/dev/null") == 2);
}

TEST_CASE("ladder.sbatch runs one rank per task and requeues a job stopped with 75", "[slurm]") {
    TempDir dir;
    // Stand-ins: srun records its arguments and exits with $SRUN_CODE; scontrol records.
    write_file(dir.path + "/bin/srun",
               "#!/bin/sh\necho \"$@\" >>\"$(dirname \"$0\")/srun.calls\"\nexit $SRUN_CODE\n");
    write_file(dir.path + "/bin/scontrol",
               "#!/bin/sh\necho \"$@\" >>\"$(dirname \"$0\")/scontrol.calls\"\n");
    REQUIRE(shell("chmod +x '" + dir.path + "/bin/srun' '" + dir.path + "/bin/scontrol'") == 0);
    const auto job = [&](int srun_code) {
        return shell("cd '" + dir.path + "' && PATH='" + dir.path +
                     "/bin':$PATH SLURM_JOB_ID=77 SRUN_CODE=" + std::to_string(srun_code) +
                     " LADDER_BIN=/opt/ladder LADDER_CONFIG=/c.yaml LADDER_SIZE=190M "
                     "LADDER_ARGS='--trainer.threads=4' bash '" +
                     kScripts + "/ladder.sbatch' >/dev/null");
    };
    CHECK(job(75) == 0);
    CHECK(read_file(dir.path + "/bin/srun.calls") ==
          "--kill-on-bad-exit=1 /opt/ladder train 190M --config /c.yaml --trainer.threads=4\n");
    CHECK(read_file(dir.path + "/bin/scontrol.calls") == "requeue 77\n");
    CHECK(job(1) == 1);  // a failure is not requeued
    CHECK(read_file(dir.path + "/bin/scontrol.calls") == "requeue 77\n");
}

TEST_CASE("pack-deps.sh packs a folder that builds need nothing else from", "[cluster]") {
    const std::string scripts = std::string(LADDER_SOURCE_DIR) + "/scripts";
    for (const char* script : {"pack-deps.sh", "build-cluster.sh"}) {
        INFO(script);
        CHECK(shell("bash -n '" + scripts + "/" + script + "'") == 0);
        if (shell("command -v shellcheck >/dev/null") == 0)
            CHECK(shell("shellcheck '" + scripts + "/" + script + "'") == 0);
    }
    TempDir dir;
    const std::string out = dir.path + "/prefix";
    REQUIRE(shell("'" + scripts + "/pack-deps.sh' '" + out + "' >/dev/null") == 0);
    for (const char* header :
         {"yaml-cpp/yaml.h", "CLI/CLI.hpp", "nlohmann/json.hpp", "spdlog/spdlog.h",
          "catch2/catch.hpp", "cairo/cairo.h", "sentencepiece_processor.h", "nlopt.h", "zlib.h"}) {
        INFO(header);
        CHECK(shell("test -f '" + out + "/usr/include/" + header + "'") == 0);
    }
    // No link points outside the folder or nowhere.
    CHECK(shell("test -z \"$(find '" + out + "' -xtype l)\"") == 0);
    // Its own pkg-config, with none of this machine's .pc files or libraries, resolves
    // every module the build asks for, their private requirements included.
    CHECK(shell("cd '" + out + "' && env -i PATH=/usr/bin:/bin PKG_CONFIG_LIBDIR=\"$(echo " +
                "$PWD/usr/lib/*/pkgconfig):$PWD/usr/share/pkgconfig\" usr/bin/pkg-config " +
                "--cflags --libs cairo sentencepiece nlopt zlib >/dev/null") == 0);
}
