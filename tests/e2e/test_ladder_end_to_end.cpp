// A whole ladder of two tiny sizes: trained, then found by `ladder checkpoints` and
// collected by `ladder metrics` with the validation loss of every planned checkpoint.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "e2e/run_ladder.hpp"

using ladder::test::run_ladder;
using ladder::test::TempDir;
using ladder::test::write_documents;
using ladder::test::write_file;
using ladder::test::write_tokens;

namespace {

// Two sizes, 16 steps each in two WSD-S-like cycles (Levanter schedule), a checkpoint
// before and after each decay.
const char* kLadder =
    "name: e2e\n"
    "dir: runs\n"
    "sizes: [small, large]\n"
    "max_devices: 1\n"
    "device_type: cpu\n"
    "sequence_length: 64\n"
    "tokenizer: {name: synthetic, vocab_size: 256, eos_token_id: 0, pad_token_id: 1}\n"
    "model:\n"
    "  family: olmo2\n"
    "  rank_microbatch_size: 256\n"
    "  sizes:\n"
    "    small: {d_model: 32, n_layers: 2, n_heads: 4}\n"
    "    large: {d_model: 64, n_layers: 2, n_heads: 4}\n"
    "run: {type: levanter, learning_rate: 3.0e-3, global_batch_size: 256, num_train_steps: 16,\n"
    "      warmup: 2, decay: 0.25, cycles: 2, lr_schedule: linear}\n"
    "data: {paths: [train.u16], validation: {held: [valid.u16]}}\n";

}  // namespace

TEST_CASE("a two-size ladder trains, checkpoints all show, metrics has a row per checkpoint",
          "[ladder]") {
    TempDir dir;
    write_tokens(dir.path + "/train.u16", 8192, 2, 256, 7);
    write_documents(dir.path + "/valid.u16", 8, 2, 256, 0, 7);
    write_file(dir.path + "/e2e.yaml", kLadder);
    for (const char* size : {"small", "large"}) {
        const auto r = run_ladder(std::string("train ") + size + " --config e2e.yaml", dir.path);
        INFO(r.out << r.err);
        REQUIRE(r.exit_code == 0);
    }

    const auto plan =
        nlohmann::json::parse(run_ladder("dry-run small --json --config e2e.yaml", dir.path).out);
    std::vector<int64_t> planned;
    for (const auto& c : plan["checkpoints"])
        planned.push_back(c["step"]);
    CHECK(planned == std::vector<int64_t>{6, 8, 14, 16});

    const auto checkpoints = run_ladder("checkpoints --all --config e2e.yaml", dir.path);
    INFO(checkpoints.out);
    REQUIRE(checkpoints.exit_code == 0);
    CHECK(checkpoints.out.find("Run for size small, 100% complete:") != std::string::npos);
    CHECK(checkpoints.out.find("Run for size large, 100% complete:") != std::string::npos);
    CHECK(checkpoints.out.find("✘") == std::string::npos);
    CHECK(checkpoints.out.find("✔ Step 8 (2K tokens) cycle 1 post-decay") != std::string::npos);

    const auto metrics = run_ladder("metrics --all --config e2e.yaml", dir.path);
    INFO(metrics.out << metrics.err);
    REQUIRE(metrics.exit_code == 0);
    std::istringstream csv(metrics.out);
    std::string header;
    std::getline(csv, header);
    CHECK(header.rfind("name,step,tokens,size,num_params,", 0) == 0);
    const size_t eval_column = [&] {
        size_t column = 0;
        std::stringstream fields(header);
        std::string field;
        while (std::getline(fields, field, ',')) {
            if (field == "eval/lm/held/CE loss")
                return column;
            ++column;
        }
        return std::string::npos;
    }();
    REQUIRE(eval_column != std::string::npos);
    std::vector<std::string> rows;
    for (std::string line; std::getline(csv, line);)
        rows.push_back(line);
    REQUIRE(rows.size() == 8);  // 4 planned checkpoints for each of the 2 sizes
    CHECK(rows[0].rfind("cycle 1 pre-decay,6,1536,small,", 0) == 0);
    CHECK(rows[4].rfind("cycle 1 pre-decay,6,1536,large,", 0) == 0);
    for (const auto& row : rows) {
        std::stringstream fields(row);
        std::string field;
        for (size_t i = 0; i <= eval_column; ++i)
            std::getline(fields, field, ',');
        INFO(row);
        CHECK(std::stod(field) > 0.0);
        CHECK(std::stod(field) < 6.0);  // ln(256) = 5.55 is the untrained loss
    }
}
