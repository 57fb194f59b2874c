// End-to-end: the real `ladder` executable, its exit codes, printed lines and files.
#include <cairo.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "config/load.hpp"
#include "e2e/run_ladder.hpp"
#include "ladder/run_plan.hpp"
#include "plot/plot_layout.hpp"

using ladder::test::make_temp_dir;
using ladder::test::read_file;
using ladder::test::require_usage_error;
using ladder::test::run_ladder;
using ladder::test::write_file;

namespace {}  // namespace

TEST_CASE("dry-run --json matches OLMo-core's plan for 190M with no config", "[cli]") {
    const auto r = run_ladder("dry-run 190M --json");
    REQUIRE(r.exit_code == 0);
    const auto j = nlohmann::json::parse(r.out);
    std::vector<std::string> keys;
    for (auto it = j.begin(); it != j.end(); ++it)
        keys.push_back(it.key());
    std::sort(keys.begin(), keys.end());
    REQUIRE(keys == std::vector<std::string>{"checkpoints", "dp_world_size", "duration",
                                             "global_batch_size", "grad_accum_steps", "memory",
                                             "num_devices", "num_non_embedding_params",
                                             "num_params", "optimizer", "rank_microbatch_size",
                                             "size", "target_batch_size", "warmup_tokens"});
    CHECK(j["size"] == "190M");
    CHECK(j["num_params"] == 267424512);
    CHECK(j["num_non_embedding_params"] == 190354176);
    CHECK(j["target_batch_size"] == 478126);
    CHECK(j["global_batch_size"] == 524288);
    CHECK(j["rank_microbatch_size"] == 65536);
    CHECK(j["num_devices"] == 8);
    CHECK(j["dp_world_size"] == 8);
    CHECK(j["grad_accum_steps"] == 1);
    CHECK(j["optimizer"]["lr"].get<double>() == Approx(1.94546e-3).epsilon(1e-5));
    CHECK(j["optimizer"]["betas"] == nlohmann::json::array({0.9, 0.95}));
    CHECK(j["optimizer"]["weight_decay"] == 0.1);
    CHECK(j["duration"]["steps"] == 29046);
    CHECK(j["duration"]["tokens"] == 29046LL * 524288);
    CHECK(j["warmup_tokens"] == 190354176);
    std::vector<int64_t> steps;
    for (const auto& c : j["checkpoints"]) {
        steps.push_back(c["step"]);
        CHECK(c["tokens"] == c["step"].get<int64_t>() * 524288);
    }
    CHECK(steps == std::vector<int64_t>{3267, 3631, 6898, 7261, 13796, 14523, 27593, 29046});
    CHECK(j["checkpoints"][0]["name"] == "period 1, 0.5xC pre-decay");
    CHECK(j["checkpoints"][7]["name"] == "period 4, 4xC post-decay");
}

TEST_CASE("dry-run prints the plan like OLMo-core and saves the plot", "[cli]") {
    const std::string dir = make_temp_dir();
    const auto r = run_ladder("dry-run 1B --output-dir plots", dir);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("Dry run for model size 1B:\n") == 0);
    CHECK(r.out.find(" ❯ Actual number of non-embedding params is 1.3B") != std::string::npos);
    CHECK(r.out.find(" ❯ Target batch size is 1,702,828 tokens\n") != std::string::npos);
    CHECK(r.out.find(" ❯ Actual batch size is 1,572,864 tokens, which is 192 instance(s)\n") !=
          std::string::npos);
    CHECK(r.out.find(" ❯ And the run requires 48 out of 64 devices, with a data-parallel world "
                     "size of 48\n") != std::string::npos);
    CHECK(r.out.find("step 65,073") != std::string::npos);
    CHECK(r.err.find("warning: Configured model has 1.3B (non-embedding) parameters, which "
                     "differs from target of 1B by ~27.9%.") != std::string::npos);
    const std::string png = dir + "/plots/olmo3-ladder/lr_schedule_1B.png";
    CHECK(std::filesystem::exists(png));
    CHECK(r.out.find("Saved LR schedule plot to 'plots/olmo3-ladder/lr_schedule_1B.png'") !=
          std::string::npos);
    for (const auto& entry : std::filesystem::directory_iterator(dir + "/plots/olmo3-ladder")) {
        CHECK(entry.path().string().find(".tmp") == std::string::npos);
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("dry-run shows the model and a hard stop", "[cli]") {
    const auto r = run_ladder(
        "dry-run 190M --no-plot --show-model --trainer.hard_stop='{value: 100, unit: steps}'");
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("d_model 768, layers 12, heads 12, kv heads 12, head dim 64") !=
          std::string::npos);
    CHECK(r.out.find("sliding window 4096 in layers 0,1,2,4,5,6,8,9,10; full in layers 3,7,11") !=
          std::string::npos);
    CHECK(r.out.find("FLOPs per token 1,708,245,504") != std::string::npos);
    CHECK(r.out.find("Hard stop at 100 steps = step 100") != std::string::npos);
}

TEST_CASE("dry-run --benchmark plans the benchmark's stop", "[cli][benchmark]") {
    const auto r = run_ladder("dry-run 190M --no-plot --benchmark");
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find(" ❯ Stops at step 100 of 29,046\n") != std::string::npos);
    CHECK(r.out.find("No checkpoints (trainer.no_checkpoints)") != std::string::npos);
    const auto plain = run_ladder("dry-run 190M --no-plot");
    CHECK(plain.out.find("Stops at") == std::string::npos);

    const auto json = nlohmann::json::parse(run_ladder("dry-run 190M --json --benchmark").out);
    CHECK(json["stop"]["step"] == 100);
    CHECK(json["stop"]["epoch"].is_null());
    CHECK(json["checkpoints"].empty());
    const auto own = nlohmann::json::parse(
        run_ladder("dry-run 190M --json --benchmark --trainer.hard_stop='{value: 2, unit: epochs}'")
            .out);
    CHECK(own["stop"]["step"].is_null());
    CHECK(own["stop"]["epoch"] == 2);
}

TEST_CASE("dry-run --print-config prints YAML that loads back to the same config", "[cli]") {
    const std::string dir = make_temp_dir();
    const auto r = run_ladder("dry-run 190M --print-config --run.lr_multiplier=0.5 --seed 7", dir);
    REQUIRE(r.exit_code == 0);
    write_file(dir + "/printed.yaml", r.out);
    const auto loaded = ladder::config::load_config(dir + "/printed.yaml", {});
    CHECK(loaded.seed == 7);
    CHECK(loaded.run.wsds_chinchilla.lr_multiplier == 0.5);
    CHECK(ladder::config::to_yaml(loaded) == r.out);
    std::filesystem::remove_all(dir);
}

TEST_CASE("a config file, LADDER_CONFIG and overrides change the plan", "[cli]") {
    const std::string dir = make_temp_dir();
    write_file(dir + "/l.yaml", "name: mine\nsizes: [190M]\nrun:\n  chinchilla_multiple: 1\n");
    const auto with_file = run_ladder("dry-run 190M --json --config l.yaml", dir);
    REQUIRE(with_file.exit_code == 0);
    CHECK(nlohmann::json::parse(with_file.out)["duration"]["steps"] == 7261);
    const auto with_env = run_ladder("dry-run 190M --json", dir, "LADDER_CONFIG=l.yaml");
    REQUIRE(with_env.exit_code == 0);
    CHECK(with_env.out == with_file.out);
    const auto overridden =
        run_ladder("dry-run 190M --json --config l.yaml --run.chinchilla_multiple 2", dir);
    REQUIRE(overridden.exit_code == 0);
    CHECK(nlohmann::json::parse(overridden.out)["duration"]["steps"] == 14523);
    std::filesystem::remove_all(dir);
}

TEST_CASE("every user mistake exits 2 with one clear line", "[cli]") {
    const std::string dir = make_temp_dir();
    require_usage_error(run_ladder("dry-run 19M"), "size '19M' is not in this ladder");
    require_usage_error(run_ladder("dry-run 190M --run.chinchila_multiple=2"),
                        "run.chinchila_multiple: unknown key (did you mean "
                        "'run.chinchilla_multiple'?) (from --run.chinchila_multiple)");
    require_usage_error(run_ladder("dry-run 190M --run.decay_fraction=0.7"),
                        "run.decay_fraction: expected a number in (0, 0.5), got 0.7");
    require_usage_error(
        run_ladder("dry-run 190M --run.chinchilla_multiple=3"),
        "run.chinchilla_multiple: expected a power of two >= 0.5 (0.5, 1, 2, 4, ...), got 3.0");
    require_usage_error(run_ladder("dry-run 13B --max_devices=16"),
                        "max_devices: size 13B needs at least 32 devices, got 16");
    require_usage_error(run_ladder("dry-run 190M --seed=abc"),
                        "seed: expected an integer, got 'abc'");
    require_usage_error(run_ladder("dry-run 190M --config missing.yaml", dir),
                        "config file 'missing.yaml': no such file");
    require_usage_error(run_ladder("dry-run 190M --trainer.hard_stop='{value: 1, unit: hours}'"),
                        "trainer.hard_stop.unit: expected one of steps|tokens|epochs");
    write_file(dir + "/bad.yaml", "trainer:\n  no_checkpoint: true\n");
    require_usage_error(run_ladder("dry-run 190M --config bad.yaml", dir),
                        "trainer.no_checkpoint: unknown key (did you mean "
                        "'trainer.no_checkpoints'?) (in bad.yaml)");
    require_usage_error(run_ladder("dry-run 190M --run.type=chinchilla"),
                        "run.type: expected one of wsds_chinchilla|levanter, got 'chinchilla'");
    require_usage_error(run_ladder("dry-run 190M --model.family=olmo4"),
                        "model.family: expected one of olmo3|olmo2, got 'olmo4'");
    require_usage_error(run_ladder("dry-run"), "no size given: name one size, or use --all");
    require_usage_error(run_ladder("dry-run 1B --all"), "give a size or --all, not both");
    require_usage_error(run_ladder("dry-run --all --mfu 2"), "--mfu");
    require_usage_error(run_ladder("fly"), "unknown command 'fly'");
    require_usage_error(run_ladder("dry-rn 190M"), "did you mean 'dry-run'?");
    std::filesystem::remove_all(dir);
}

TEST_CASE("a size the devices cannot hold stops only its own plan", "[cli][plan]") {
    const auto small = run_ladder("dry-run 190M --no-plot --max_devices=16");
    CHECK(small.exit_code == 0);
    CHECK(small.err.empty());
    CHECK(small.out.find("requires 8 out of 16 devices") != std::string::npos);
    require_usage_error(run_ladder("plot-lr 190M 13B --terminal --max_devices=16"),
                        "max_devices: size 13B needs at least 32 devices, got 16");

    // --all leaves the size out with a warning; naming it is an error.
    const std::string dir = make_temp_dir();
    const auto all = run_ladder("checkpoints --all --json --max_devices=16", dir);
    CHECK(all.exit_code == 0);
    CHECK(all.err.find("warning: leaving out size 13B") != std::string::npos);
    const auto listed = nlohmann::json::parse(all.out);
    CHECK(listed.contains("7B"));
    CHECK_FALSE(listed.contains("13B"));
    require_usage_error(run_ladder("checkpoints 13B --max_devices=16", dir),
                        "size 13B needs at least 32 devices");
    std::filesystem::remove_all(dir);
}

TEST_CASE("the demo ladder's sizes are named by their parameter counts", "[cli][demo]") {
    const std::string config = std::string(LADDER_SOURCE_DIR) + "/configs/demo.yaml";
    for (const char* size : {"140K", "2M", "5M"}) {
        INFO("size " << size);
        const auto r = run_ladder(std::string("dry-run ") + size + " --no-plot --config " + config);
        CHECK(r.exit_code == 0);
        CHECK(r.err.empty());
    }
}

TEST_CASE("plot-lr --csv writes one row per optimizer step with the optimizer's LR", "[cli]") {
    const std::string dir = make_temp_dir();
    const auto r = run_ladder("plot-lr 190M --csv lr.csv --output-dir out", dir);
    REQUIRE(r.exit_code == 0);
    std::istringstream csv(read_file(dir + "/lr.csv"));
    std::string line;
    std::getline(csv, line);
    CHECK(line == "step,tokens,lr");
    const auto config = ladder::config::load_config(std::nullopt, {});
    const auto plan = ladder::plan_run(config, "190M");
    int64_t rows = 0;
    while (std::getline(csv, line)) {
        ++rows;
        std::istringstream fields(line);
        std::string step, tokens, lr;
        std::getline(fields, step, ',');
        std::getline(fields, tokens, ',');
        std::getline(fields, lr, ',');
        REQUIRE(std::stoll(step) == rows);
        REQUIRE(std::stoll(tokens) == rows * 524288);
        REQUIRE(std::stod(lr) == plan.lr_at_step(rows));
    }
    CHECK(rows == 29046);
    CHECK(std::filesystem::exists(dir + "/out/olmo3-ladder/lr_schedule_190M.svg"));
    CHECK(read_file(dir + "/out/olmo3-ladder/lr_schedule_190M.svg").rfind("<?xml", 0) == 0);
    std::filesystem::remove_all(dir);
}

TEST_CASE("plot-lr PNG decodes and has curve pixels where the schedule says", "[cli]") {
    const std::string dir = make_temp_dir();
    const auto r = run_ladder("plot-lr 190M --output-dir out", dir);
    REQUIRE(r.exit_code == 0);
    const std::string png = dir + "/out/olmo3-ladder/lr_schedule_190M.png";
    cairo_surface_t* image = cairo_image_surface_create_from_png(png.c_str());
    REQUIRE(cairo_surface_status(image) == CAIRO_STATUS_SUCCESS);

    const auto config = ladder::config::load_config(std::nullopt, {});
    const auto plan = ladder::plan_run(config, "190M");
    const auto figure = ladder::plot::make_lr_figure({plan});
    const auto layout = ladder::plot::layout_for(figure);
    REQUIRE(cairo_image_surface_get_width(image) == static_cast<int>(layout.width));
    REQUIRE(cairo_image_surface_get_height(image) == static_cast<int>(layout.height));

    const unsigned char* data = cairo_image_surface_get_data(image);
    const int stride = cairo_image_surface_get_stride(image);
    const auto blue = ladder::plot::curve_color(0);
    const auto is_curve = [&](int x, int y) {
        const auto* pixel = reinterpret_cast<const uint32_t*>(data + y * stride) + x;
        const int red = (*pixel >> 16) & 0xff, green = (*pixel >> 8) & 0xff, b = *pixel & 0xff;
        return std::abs(red - blue.r * 255) < 40 && std::abs(green - blue.g * 255) < 40 &&
               std::abs(b - blue.b * 255) < 40;
    };
    const auto curve_near = [&](double tokens, double lr) {
        const int x = static_cast<int>(std::lround(layout.x_pixel(tokens)));
        const int y = static_cast<int>(std::lround(layout.y_pixel(lr)));
        for (int dy = -2; dy <= 2; ++dy) {
            if (is_curve(x, y + dy))
                return true;
        }
        return false;
    };
    // Stable phases, mid-decay of period 4 and mid-warmup all land on the blue curve.
    for (int64_t step : {1000, 5000, 10000, 20000, 28300, 200}) {
        INFO("step " << step);
        CHECK(curve_near(step * 524288.0, plan.lr_at_step(step)));
    }
    // Halfway up the plot in the middle of period 3's stable phase there is no curve.
    CHECK_FALSE(curve_near(10000 * 524288.0, plan.lr_at_step(10000) / 2));
    cairo_surface_destroy(image);
    std::filesystem::remove_all(dir);
}

TEST_CASE("help-config lists every key from the field lists", "[cli]") {
    const auto r = run_ladder("help-config run.");
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("run.chinchilla_multiple  (number, default 4.0)") != std::string::npos);
    CHECK(r.out.find("run.cycle_length") != std::string::npos);
    require_usage_error(run_ladder("help-config nothing.here"), "no config key starts with");
}

TEST_CASE("env loads the LibTorch module beside the executable", "[cli]") {
    const auto r = run_ladder("env --json");
    REQUIRE(r.exit_code == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["torch_version"].get<std::string>().size() >= 3);
    CHECK(j["cpu_threads"].get<int>() >= 1);
    CHECK(j["gloo"] == true);
}

TEST_CASE("dry-run --show-memory prints each term and the layout that fits", "[cli][memory]") {
    const auto r = run_ladder("dry-run 13B --no-plot --show-memory");
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("Memory per device (H100 80GB, 79.6 GiB): fsdp over 64 ranks, activation "
                     "checkpointing budget (3 of 40 blocks recomputed), chosen by the plan") !=
          std::string::npos);
    for (const char* term : {"   weights ", "   gradients ", "   optimizer state ",
                             "   working weights ", "   activations ", "   attention masks ",
                             "   logits and loss ", "   allowance ", "   total "}) {
        INFO(term);
        CHECK(r.out.find(term) != std::string::npos);
    }
    CHECK(r.out.find("% of the device)") != std::string::npos);

    // The JSON's terms add up to its total, which fits the device.
    const auto json = nlohmann::json::parse(run_ladder("dry-run 13B --json").out);
    const auto& memory = json.at("memory");
    CHECK(memory.at("data_parallel") == "fsdp");
    CHECK(memory.at("recomputed_blocks") == 3);
    int64_t sum = 0;
    for (const auto& [name, bytes] : memory.at("bytes").items()) {
        if (name != "total")
            sum += bytes.get<int64_t>();
    }
    CHECK(sum == memory.at("bytes").at("total").get<int64_t>());
    CHECK(memory.at("bytes").at("total").get<int64_t>() <=
          memory.at("device_bytes").get<int64_t>());

    // A fixed mode that cannot fit says so, and what would.
    const auto none = run_ladder(
        "dry-run 13B --no-plot --show-memory "
        "--trainer.activation_checkpointing.mode=none");
    CHECK(none.exit_code == 0);
    CHECK(none.out.find("does not fit: needs ") != std::string::npos);
    CHECK(none.out.find("activation_checkpointing.mode full would recompute more") !=
          std::string::npos);
}

TEST_CASE("dry-run --all bills the whole ladder, a size it cannot plan in its own row",
          "[cli][memory]") {
    const auto r = run_ladder("dry-run --all --max_devices=8 --mfu 0.4");
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("Ladder olmo3-ladder on up to 8 H100 80GB GPUs") != std::string::npos);
    CHECK(r.out.find("cannot be planned: max_devices: size 13B needs at least 32 devices, got 8") !=
          std::string::npos);
    CHECK(r.out.find("40% (--mfu)") != std::string::npos);
    CHECK(r.out.find("│ total ") != std::string::npos);

    const auto rows = nlohmann::json::parse(run_ladder("dry-run --all --json --max_devices=8").out);
    REQUIRE(rows.size() == 10);
    CHECK(rows.back().at("size") == "13B");
    CHECK(rows.back().at("error").get<std::string>().find("needs at least 32 devices") !=
          std::string::npos);
    // Each row agrees with the size's own plan; GPU-hours are FLOPs at the MFU of the
    // H100's 989.5 TFLOP/s.
    const auto one = nlohmann::json::parse(run_ladder("dry-run 190M --json --max_devices=8").out);
    const auto& row = rows.at(2);
    CHECK(row.at("size") == "190M");
    CHECK(row.at("global_batch_size") == one.at("global_batch_size"));
    CHECK(row.at("steps") == one.at("duration").at("steps"));
    CHECK(row.at("memory") == one.at("memory"));
    CHECK(row.at("mfu_source") == "default");
    CHECK(row.at("gpu_hours").get<double>() ==
          Approx(row.at("flops").get<double>() / (row.at("mfu").get<double>() * 989.5e12) / 3600));

    const std::string demo = std::string(LADDER_SOURCE_DIR) + "/configs/demo.yaml";
    const auto cpu = run_ladder("dry-run --all --config " + demo);
    CHECK(cpu.exit_code == 0);
    CHECK(cpu.out.find("Ladder demo on the CPU") != std::string::npos);
    const auto cpu_rows =
        nlohmann::json::parse(run_ladder("dry-run --all --json --config " + demo).out);
    REQUIRE(cpu_rows.size() == 3);
    for (const auto& cpu_row : cpu_rows) {
        CHECK(cpu_row.at("gpu_hours").is_null());
        CHECK(cpu_row.at("memory").at("device_bytes").is_null());
    }
}

TEST_CASE("dry-run --all takes a size's MFU from its saved benchmark on the same GPU",
          "[cli][memory]") {
    const std::string dir = make_temp_dir();
    const std::string results = dir + "/model-ladders/olmo3-ladder/benchmarks/";
    std::filesystem::create_directories(results);
    write_file(results + "190M.json", R"({"device": "H100 80GB", "mfu": 0.5})");
    write_file(results + "370M.json", R"({"device": "B200", "mfu": 0.6})");  // another GPU
    write_file(results + "600M.json", "{not json");
    const auto rows = nlohmann::json::parse(run_ladder("dry-run --all --json", dir).out);
    CHECK(rows.at(2).at("mfu") == 0.5);
    CHECK(rows.at(2).at("mfu_source") == "benchmark");
    CHECK(rows.at(3).at("mfu_source") == "default");
    CHECK(rows.at(4).at("mfu_source") == "default");
    const auto text = run_ladder("dry-run --all", dir);
    CHECK(text.out.find("50% (benchmark)") != std::string::npos);
    CHECK(text.err.find("warning: ignoring benchmark result '" + results + "600M.json'") !=
          std::string::npos);
    // --mfu wins over everything.
    const auto forced =
        nlohmann::json::parse(run_ladder("dry-run --all --json --mfu 0.3", dir).out);
    CHECK(forced.at(2).at("mfu_source") == "--mfu");
    std::filesystem::remove_all(dir);
}
