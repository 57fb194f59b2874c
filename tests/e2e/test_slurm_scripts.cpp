// The cluster scripts. SLURM's without a scheduler: a stand-in `sbatch` on PATH records
// what submit-ladder.sh asks for, which must be what `ladder dry-run --json` plans. The
// dependency packer for nodes that cannot install packages, on this machine's packages.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "e2e/run_ladder.hpp"

using ladder::test::count_of;
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

// A CPU ladder: "tiny" plans 1 rank (max_devices 1), or 2 with --max_devices=2.
const char* kCpuLadder =
    "name: cpu\n"
    "dir: runs\n"
    "sizes: [tiny]\n"
    "max_devices: 1\n"
    "device_type: cpu\n"
    "sequence_length: 128\n"
    "tokenizer: {name: synthetic, vocab_size: 512, eos_token_id: 0, pad_token_id: 1}\n"
    "model: {family: olmo2, rank_microbatch_size: 512,\n"
    "        sizes: {tiny: {d_model: 64, n_layers: 2, n_heads: 4}}}\n"
    "run: {type: levanter, learning_rate: 1.0e-3, global_batch_size: 1024,\n"
    "      num_train_steps: 40, warmup: 4, decay: 0.2, cycles: 1}\n"
    "data: {paths: [d.u16]}\n";

// A stand-in for `name` in `dir`/bin that appends its arguments to `dir`/bin/`name`.calls,
// each in brackets, one call a line: spaces inside an argument stay visible.
void write_recorder(const std::string& dir, const std::string& name, const std::string& then) {
    const std::string path = dir + "/bin/" + name;
    write_file(path,
               "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]' \"$a\"; done >>\"$0.calls\"\n"
               "echo >>\"$0.calls\"\n" +
                   then);
    REQUIRE(shell("chmod +x '" + path + "'") == 0);
}

// Writes the files of a complete checkpoint at the last planned step of `size`, in the
// run folder that `ladder checkpoints` finds with `args`.
void write_final_checkpoint(const std::string& dir, const std::string& size,
                            const std::string& args) {
    const auto checkpoints =
        nlohmann::json::parse(run_ladder("checkpoints " + size + " --json " + args, dir).out);
    const std::string final_dir = checkpoints[size].back()["path"];
    for (const char* file : {".metadata.json", "train/rank0.json", "model_and_optim/model.pt",
                             "model_and_optim/optim.pt"}) {
        write_file(final_dir + "/" + file, "{}");
    }
}

// Runs submit-ladder.sh in `dir` with the stand-in sbatch first on PATH, no LADDER_ARGS but
// those in `env`; its stdout goes to out.txt, its stderr to err.txt.
int submit(const std::string& dir, const std::string& env, const std::string& args) {
    return shell("cd '" + dir + "' && PATH='" + dir + "/bin':$PATH LADDER_BIN='" + LADDER_BINARY +
                 "' LADDER_ARGS= " + env + " '" + kScripts + "/submit-ladder.sh' " + args +
                 " >out.txt 2>err.txt");
}

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
    write_recorder(dir.path, "sbatch", "");
    const auto plan =
        nlohmann::json::parse(run_ladder("dry-run large --json --config gpu.yaml", dir.path).out);
    const int64_t devices = plan["num_devices"];
    REQUIRE(devices == 8);

    // small's final planned checkpoint is on disk (complete): it is skipped.
    write_final_checkpoint(dir.path, "small", "--config gpu.yaml");
    REQUIRE(submit(dir.path, "", "--gpus-per-node 4 gpu.yaml -- --partition=p1") == 0);
    const std::string out = read_file(dir.path + "/out.txt");
    INFO(out << read_file(dir.path + "/err.txt"));
    CHECK(out.find("small: final checkpoint exists; skipped") != std::string::npos);
    CHECK(out.find("large: 8 GPU(s) on 2 node(s)") != std::string::npos);
    CHECK(read_file(dir.path + "/bin/sbatch.calls") ==
          "[--job-name][ladder-large][--nodes][2][--ntasks-per-node][4][--gpus-per-node][4]"
          "[--export][ALL,LADDER_BIN=" +
              std::string(LADDER_BINARY) + ",LADDER_CONFIG=" + dir.path +
              "/gpu.yaml,LADDER_SIZE=large][--partition=p1][" + kScripts + "/ladder.sbatch]\n");

    // A size the ladder does not have is refused before anything is submitted.
    CHECK(shell("cd '" + dir.path + "' && PATH='" + dir.path + "/bin':$PATH LADDER_BIN='" +
                LADDER_BINARY + "' '" + kScripts +
                "/submit-ladder.sh' gpu.yaml huge 2>/dev/null") == 2);
}

TEST_CASE("submit-ladder.sh submits CPU jobs without GPUs, sized and skipped with LADDER_ARGS",
          "[slurm]") {
    TempDir dir;
    write_file(dir.path + "/cpu.yaml", kCpuLadder);
    write_recorder(dir.path, "sbatch", "");
    const std::string job = "[--export][ALL,LADDER_BIN=" + std::string(LADDER_BINARY) +
                            ",LADDER_CONFIG=" + dir.path + "/cpu.yaml,LADDER_SIZE=tiny][" +
                            kScripts + "/ladder.sbatch]";

    // --cpu and --gpus-per-node 0 ask for tasks only: no --gpus-per-node, no --gres.
    for (const char* flag : {"--cpu", "--gpus-per-node 0", "--gpus-per-node=0"}) {
        INFO(flag);
        REQUIRE(submit(dir.path, "", std::string(flag) + " cpu.yaml") == 0);
        CHECK(read_file(dir.path + "/out.txt") == "tiny: 1 CPU rank(s) on 1 node(s)\n");
        CHECK(read_file(dir.path + "/bin/sbatch.calls") ==
              "[--job-name][ladder-tiny][--nodes][1][--ntasks-per-node][1]" + job + "\n");
        REQUIRE(shell("rm '" + dir.path + "/bin/sbatch.calls'") == 0);
    }

    // LADDER_ARGS sizes the job (2 ranks, here 1 per node) and reaches it word for word,
    // quoted values with their spaces.
    const std::string args =
        "LADDER_ARGS=\"--max_devices=2 --trainer.hard_stop='{value: 3, unit: steps}' "
        "--dir='other runs'\"";
    REQUIRE(submit(dir.path, args, "--cpu --tasks-per-node 1 cpu.yaml") == 0);
    INFO(read_file(dir.path + "/err.txt"));
    CHECK(read_file(dir.path + "/out.txt") == "tiny: 2 CPU rank(s) on 2 node(s)\n");
    CHECK(read_file(dir.path + "/bin/sbatch.calls") ==
          "[--job-name][ladder-tiny][--nodes][2][--ntasks-per-node][1]" + job +
              "[--max_devices=2][--trainer.hard_stop={value: 3, unit: steps}][--dir=other "
              "runs]\n");

    // The skip check looks in the run folder LADDER_ARGS names.
    write_final_checkpoint(dir.path, "tiny", "--config cpu.yaml --dir='other runs'");
    REQUIRE(submit(dir.path, args, "--cpu cpu.yaml") == 0);
    CHECK(read_file(dir.path + "/out.txt") == "tiny: final checkpoint exists; skipped\n");
    REQUIRE(submit(dir.path, "", "--cpu cpu.yaml") == 0);
    CHECK(read_file(dir.path + "/out.txt") == "tiny: 1 CPU rank(s) on 1 node(s)\n");

    // Mistakes: one line, exit 2, nothing submitted.
    REQUIRE(shell("rm '" + dir.path + "/bin/sbatch.calls'") == 0);
    CHECK(submit(dir.path, "LADDER_ARGS=\"--dir='unclosed\"", "--cpu cpu.yaml") == 2);
    CHECK(read_file(dir.path + "/err.txt") ==
          "submit-ladder.sh: LADDER_ARGS: No closing quotation\n");
    CHECK(submit(dir.path, "LADDER_ARGS=--max_devices=x", "--cpu cpu.yaml") == 2);
    CHECK(read_file(dir.path + "/err.txt") ==
          "ladder: error: max_devices: expected an integer, got 'x' (from --max_devices)\n");
    CHECK(submit(dir.path, "", "--gpus-per-node 4 --tasks-per-node 2 cpu.yaml") == 2);
    CHECK(read_file(dir.path + "/err.txt") ==
          "submit-ladder.sh: --tasks-per-node is for CPU jobs (--cpu); GPU jobs run one task "
          "per GPU\n");
    CHECK(submit(dir.path, "", "--gpus-per-node -1 cpu.yaml") == 2);
    CHECK_FALSE(std::filesystem::exists(dir.path + "/bin/sbatch.calls"));
}

TEST_CASE("ladder.sbatch runs one rank per task and requeues a job stopped with 75", "[slurm]") {
    TempDir dir;
    // Stand-ins: srun records its arguments and exits with $SRUN_CODE; scontrol records.
    write_recorder(dir.path, "srun", "exit $SRUN_CODE\n");
    write_recorder(dir.path, "scontrol", "");
    const auto job = [&](int srun_code, const std::string& env = "") {
        return shell(
            "cd '" + dir.path + "' && PATH='" + dir.path +
            "/bin':$PATH SLURM_JOB_ID=77 SRUN_CODE=" + std::to_string(srun_code) +
            " LADDER_BIN=/opt/ladder LADDER_CONFIG=/c.yaml LADDER_SIZE=190M LADDER_ARGS= " + env +
            " bash '" + kScripts +
            "/ladder.sbatch' --trainer.threads=4 '--dir=my runs' >/dev/null 2>err.txt");
    };
    CHECK(job(75) == 0);
    CHECK(read_file(dir.path + "/bin/srun.calls") ==
          "[--kill-on-bad-exit=1][/opt/ladder][train][190M][--config][/c.yaml]"
          "[--trainer.threads=4][--dir=my runs]\n");
    CHECK(read_file(dir.path + "/bin/scontrol.calls") == "[requeue][77]\n");
    CHECK(job(1) == 1);  // a failure is not requeued
    CHECK(read_file(dir.path + "/bin/scontrol.calls") == "[requeue][77]\n");
    // LADDER_ARGS would lose its spaces and commas on the way: refused, nothing started.
    CHECK(job(0, "LADDER_ARGS=--trainer.threads=2") == 2);
    CHECK(read_file(dir.path + "/err.txt") ==
          "ladder.sbatch: LADDER_ARGS is not read: pass the ladder arguments after the script "
          "(sbatch ... ladder.sbatch ARG...) or use submit-ladder.sh\n");
    CHECK(count_of(read_file(dir.path + "/bin/srun.calls"), "\n") == 2);
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
