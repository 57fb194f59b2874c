// `ladder dry-run SIZE`: the plan of one rung, as text or JSON, plus its LR plot.
#include <nlohmann/json.hpp>

#include <cmath>
#include <iostream>

#include "cli/common.hpp"
#include "config/benchmark_mode.hpp"
#include "ladder/ladder_bill.hpp"
#include "ladder/memory_plan.hpp"
#include "plot/cairo_plot.hpp"
#include "plot/terminal_plot.hpp"
#include "util/box_table.hpp"
#include "util/error.hpp"
#include "util/format.hpp"
#include "util/terminal.hpp"

namespace ladder::cli {

namespace {

struct DryRunOptions {
    std::string size;
    bool all = false;
    std::optional<double> mfu;
    bool show_model = false;
    bool show_memory = false;
    bool json = false;
    bool no_plot = false;
    bool print_config = false;
    bool benchmark = false;
    std::optional<std::string> output_dir;
};

std::string describe_duration(const config::DurationConfig& d) {
    return with_commas(d.value) + " " + d.unit;
}

void print_text(const RunPlan& plan, const config::LadderConfig& config, bool show_model) {
    const BatchPlan& b = plan.batch;
    const OptimizerPlan& o = plan.optimizer;
    const int64_t batch = b.global_batch_size;
    std::cout << "Dry run for model size " << plan.size << ":\n"
              << " ❯ Actual number of non-embedding params is "
              << format_count(static_cast<double>(plan.num_non_embedding_params)) << " ("
              << with_commas(plan.num_non_embedding_params) << "; "
              << format_count(static_cast<double>(plan.num_params)) << " in total)\n"
              << " ❯ Target batch size is " << with_commas(b.target_batch_size) << " tokens\n"
              << " ❯ Actual batch size is " << with_commas(batch) << " tokens, which is "
              << with_commas(b.instances()) << " instance(s)\n"
              << " ❯ Micro-batch size per device is " << with_commas(b.rank_microbatch_size)
              << " tokens, which is " << b.rank_microbatch_instances() << " instance(s)\n"
              << " ❯ And the run requires " << b.num_devices << " out of " << config.max_devices
              << " devices, with a data-parallel world size of " << with_commas(b.dp_world_size)
              << "\n"
              << " ❯ So there will be " << with_commas(b.grad_accum_steps)
              << " grad accumulation step(s) per batch\n"
              << " ❯ Peak LR is " << python_float(o.lr) << " with betas (" << python_float(o.beta1)
              << ", " << python_float(o.beta2) << "), weight decay " << python_float(o.weight_decay)
              << " (0 on embeddings)\n"
              << " ❯ Warmup is " << format_tokens(static_cast<double>(plan.warmup_tokens)) << " / "
              << with_commas(plan.warmup_tokens / batch) << " steps\n"
              << " ❯ Duration is " << format_tokens(static_cast<double>(plan.duration_tokens))
              << " / " << with_commas(plan.duration_steps) << " steps\n";
    if (plan.max_duration) {
        std::cout << " ❯ Training runs for " << describe_duration(*plan.max_duration)
                  << " (trainer.max_duration)\n";
    }
    if (plan.hard_stop) {
        std::cout << " ❯ Hard stop at " << describe_duration(*plan.hard_stop);
        if (plan.stop_step)
            std::cout << " = step " << with_commas(*plan.stop_step);
        std::cout << " (trainer.hard_stop)\n";
    }
    if (plan.stop_step) {
        std::cout << " ❯ Stops at step " << with_commas(*plan.stop_step) << " of "
                  << with_commas(plan.duration_steps) << "\n";
    }
    if (plan.stop_epoch)
        std::cout << " ❯ Stops after epoch " << *plan.stop_epoch << " at the latest\n";
    if (show_model) {
        const ModelSpec& m = plan.model;
        std::cout << "Model (" << m.family << "):\n"
                  << "   d_model " << m.d_model << ", layers " << m.n_layers << ", heads "
                  << m.n_heads << ", kv heads " << m.n_kv_heads << ", head dim " << m.head_dim
                  << "\n"
                  << "   SwiGLU hidden " << m.hidden_size << ", vocab " << with_commas(m.vocab_size)
                  << " (padded), RoPE theta " << python_float(m.rope_theta) << "\n"
                  << "   attention: ";
        if (m.window_pattern.empty()) {
            std::cout << "full in every layer\n";
        } else {
            std::vector<std::string> windowed, full;
            for (int64_t layer = 0; layer < m.n_layers; ++layer)
                (m.window(layer) < 0 ? full : windowed).push_back(std::to_string(layer));
            std::cout << "sliding window " << m.window_pattern.front() << " in layers "
                      << join(windowed, ",") << "; full in layers " << join(full, ",") << "\n";
        }
        const int64_t sequence_length = plan.batch.sequence_length;
        std::cout << "   FLOPs per token " << with_commas(m.flops_per_token(sequence_length))
                  << " at sequence length " << with_commas(sequence_length) << "\n";
    }
    if (plan.checkpoints.empty()) {
        std::cout << "No checkpoints (trainer.no_checkpoints)\n";
        return;
    }
    std::cout << "Checkpoints:\n";
    size_t step_width = 0;
    for (const auto& c : plan.checkpoints)
        step_width = std::max(step_width, with_commas(c.step).size());
    for (const auto& c : plan.checkpoints) {
        std::string step = with_commas(c.step);
        std::string tokens = format_tokens(static_cast<double>(c.tokens));
        std::cout << "   step " << std::string(step_width - step.size(), ' ') << step << "  "
                  << tokens << std::string(tokens.size() < 14 ? 14 - tokens.size() : 1, ' ')
                  << c.name;
        if (plan.stop_step && c.step > *plan.stop_step)
            std::cout << "  (after the stop)";
        std::cout << "\n";
    }
}

std::string describe_checkpointing(const MemoryPlan& memory, int64_t n_layers) {
    const MemoryLayout& layout = memory.layout;
    std::string text = "activation checkpointing " + layout.activation_checkpointing;
    if (layout.recomputed_count() > 0) {
        text += " (" + std::to_string(layout.recomputed_count()) + " of " +
                std::to_string(n_layers) + " blocks recomputed)";
    }
    return text + (memory.auto_checkpointing ? ", chosen by the plan" : "");
}

void print_memory(const MemoryPlan& memory, const RunPlan& plan) {
    const MemoryTerms& t = memory.terms;
    const MemoryLayout& layout = memory.layout;
    std::cout << "Memory per device";
    if (memory.device_bytes > 0)
        std::cout << " (" << memory.device << ", " << format_gib(memory.device_bytes) << ")";
    std::cout << ": " << layout.data_parallel;
    if (layout.data_parallel != "ddp")
        std::cout << " over " << layout.shard_degree << " ranks";
    std::cout << ", " << describe_checkpointing(memory, plan.model.n_layers) << "\n";
    const bool cpu = memory.device_bytes == 0;
    const std::vector<std::pair<std::string, std::pair<int64_t, std::string>>> rows = {
        {"weights", {t.weights, "fp32"}},
        {"gradients",
         {t.gradients, layout.data_parallel == "ddp" && plan.batch.num_devices > 1
                           ? "fp32, and the reduction buckets' copy"
                           : "fp32"}},
        {"optimizer state", {t.optimizer, "AdamW's two moments, fp32"}},
        {"working weights",
         {t.working_weights, layout.data_parallel != "ddp"
                                 ? "two blocks gathered, two unsharded gradients"
                             : cpu ? "none: the CPU computes in fp32"
                                   : "bf16 copies for compute"}},
        {"activations",
         {t.activations, with_commas(plan.batch.rank_microbatch_size) + " tokens per micro-batch"}},
        {"attention masks", {t.attention_masks, "one per sliding-window size"}},
        {"logits and loss",
         {t.logits, cpu ? "logits and their gradient, fp32"
                        : "loss gradients for hidden states and head, one block of logits"}},
    };
    for (const auto& [name, value] : rows) {
        const std::string amount = format_gib(value.first);
        std::cout << "   " << name << std::string(18 - name.size(), ' ')
                  << std::string(amount.size() < 10 ? 10 - amount.size() : 0, ' ') << amount << "  "
                  << value.second << "\n";
    }
    if (cpu) {
        const std::string amount = format_gib(t.total());
        std::cout << "   total" << std::string(13, ' ')
                  << std::string(amount.size() < 10 ? 10 - amount.size() : 0, ' ') << amount
                  << "  host memory, not checked\n";
        return;
    }
    const std::string allowance = format_gib(t.allowance), total = format_gib(t.total());
    std::cout << "   allowance" << std::string(9, ' ')
              << std::string(allowance.size() < 10 ? 10 - allowance.size() : 0, ' ') << allowance
              << "  CUDA context (1 GiB) and fragmentation (5%)\n"
              << "   total" << std::string(13, ' ')
              << std::string(total.size() < 10 ? 10 - total.size() : 0, ' ') << total << "  "
              << (memory.fits ? "fits (" +
                                    std::to_string(static_cast<int>(
                                        std::lround(100.0 * t.total() / memory.device_bytes))) +
                                    "% of the device)"
                              : "does not fit: " + memory.advice)
              << "\n";
}

nlohmann::ordered_json memory_json(const MemoryPlan& memory) {
    const MemoryTerms& t = memory.terms;
    return {
        {"device", memory.device},
        {"device_bytes", memory.device_bytes > 0 ? nlohmann::ordered_json(memory.device_bytes)
                                                 : nlohmann::ordered_json(nullptr)},
        {"data_parallel", memory.layout.data_parallel},
        {"shard_degree", memory.layout.shard_degree},
        {"activation_checkpointing", memory.layout.activation_checkpointing},
        {"recomputed_blocks", memory.layout.recomputed_count()},
        {"bytes",
         {{"weights", t.weights},
          {"gradients", t.gradients},
          {"optimizer", t.optimizer},
          {"working_weights", t.working_weights},
          {"activations", t.activations},
          {"attention_masks", t.attention_masks},
          {"logits", t.logits},
          {"allowance", t.allowance},
          {"total", t.total()}}},
        {"fits", memory.fits},
        {"advice", memory.advice.empty() ? nlohmann::ordered_json(nullptr)
                                         : nlohmann::ordered_json(memory.advice)},
    };
}

nlohmann::ordered_json to_json(const RunPlan& plan) {
    nlohmann::ordered_json checkpoints = nlohmann::ordered_json::array();
    for (const auto& c : plan.checkpoints) {
        checkpoints.push_back({{"step", c.step}, {"tokens", c.tokens}, {"name", c.name}});
    }
    const BatchPlan& b = plan.batch;
    nlohmann::ordered_json json = {
        {"size", plan.size},
        {"num_params", plan.num_params},
        {"num_non_embedding_params", plan.num_non_embedding_params},
        {"target_batch_size", b.target_batch_size},
        {"global_batch_size", b.global_batch_size},
        {"rank_microbatch_size", b.rank_microbatch_size},
        {"num_devices", b.num_devices},
        {"dp_world_size", b.dp_world_size},
        {"grad_accum_steps", b.grad_accum_steps},
        {"optimizer",
         {{"lr", plan.optimizer.lr},
          {"betas", {plan.optimizer.beta1, plan.optimizer.beta2}},
          {"weight_decay", plan.optimizer.weight_decay}}},
        {"duration", {{"tokens", plan.duration_tokens}, {"steps", plan.duration_steps}}},
        {"warmup_tokens", plan.warmup_tokens},
        {"checkpoints", checkpoints},
    };
    if (plan.stop_step || plan.stop_epoch) {
        const auto or_null = [](const std::optional<int64_t>& value) {
            return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
        };
        json["stop"] = {{"step", or_null(plan.stop_step)}, {"epoch", or_null(plan.stop_epoch)}};
    }
    return json;
}

std::string percent(double fraction) {
    return fixed(100 * fraction, fraction < 0.1 ? 1 : 0) + "%";
}

std::string describe_layout(const MemoryPlan& memory) {
    const MemoryLayout& layout = memory.layout;
    return layout.data_parallel +
           (layout.data_parallel == "ddp" ? "" : "/" + std::to_string(layout.shard_degree));
}

std::string describe_recompute(const MemoryLayout& layout, int64_t n_layers) {
    if (layout.recomputed.empty())
        return layout.activation_checkpointing;
    return layout.activation_checkpointing + " " + std::to_string(layout.recomputed_count()) + "/" +
           std::to_string(n_layers);
}

void print_bill(const std::vector<BillRow>& rows, const config::LadderConfig& config) {
    std::vector<std::vector<std::string>> cells;
    int64_t tokens = 0;
    double flops = 0, hours = 0;
    bool any_hours = false;
    for (const BillRow& row : rows) {
        if (!row.error.empty()) {
            // The reason goes last, where its width stretches no other column.
            std::vector<std::string> cannot(13, "");
            cannot.insert(cannot.begin(), row.size);
            cannot.back() = "cannot be planned: " + row.error;
            cells.push_back(cannot);
            continue;
        }
        const BatchPlan& b = row.batch;
        const MemoryPlan& m = row.memory;
        const int64_t layers = static_cast<int64_t>(m.layout.recomputed.size());
        std::string memory = format_gib(m.terms.total());
        if (!m.fits)
            memory += " (does not fit)";
        cells.push_back(
            {row.size, format_count(static_cast<double>(row.num_params)),
             format_tokens(static_cast<double>(b.global_batch_size)), std::to_string(b.num_devices),
             std::to_string(b.rank_microbatch_instances()), std::to_string(b.grad_accum_steps),
             with_commas(row.steps), format_tokens(static_cast<double>(row.tokens)),
             scientific(row.flops, 2), describe_layout(m), describe_recompute(m.layout, layers),
             memory,
             percent(row.mfu) + (row.mfu_source == "default" ? "" : " (" + row.mfu_source + ")"),
             row.gpu_hours ? with_commas(std::llround(*row.gpu_hours)) : "-"});
        tokens += row.tokens;
        flops += row.flops;
        if (row.gpu_hours) {
            hours += *row.gpu_hours;
            any_hours = true;
        }
    }
    cells.push_back({"total", "", "", "", "", "", "", format_tokens(static_cast<double>(tokens)),
                     scientific(flops, 2), "", "", "", "",
                     any_hours ? with_commas(std::llround(hours)) : "-"});
    const DeviceKind device = classify_device(config.device_type);
    const std::string where = device.is_cpu ? " on the CPU"
                                            : " on up to " + std::to_string(config.max_devices) +
                                                  " " + device.name + " GPUs";
    std::cout << render_box_table("Ladder " + config.name + where,
                                  {{"size"},
                                   {"params", Align::right},
                                   {"batch", Align::right},
                                   {"devices", Align::right},
                                   {"micro", Align::right},
                                   {"accum", Align::right},
                                   {"steps", Align::right},
                                   {"tokens", Align::right},
                                   {"FLOPs", Align::right},
                                   {"parallel"},
                                   {"recompute"},
                                   {"memory/device", Align::right},
                                   {"MFU", Align::right},
                                   {"GPU-hours", Align::right}},
                                  cells);
    std::cout << "batch in tokens, micro in instances per device; FLOPs 6N + attention per token "
                 "(OLMo-core); GPU-hours at the MFU shown (a default by size unless --mfu or a "
                 "saved benchmark says otherwise)\n";
}

nlohmann::ordered_json bill_json(const std::vector<BillRow>& rows) {
    nlohmann::ordered_json json = nlohmann::ordered_json::array();
    for (const BillRow& row : rows) {
        if (!row.error.empty()) {
            json.push_back({{"size", row.size}, {"error", row.error}});
            continue;
        }
        const BatchPlan& b = row.batch;
        json.push_back({
            {"size", row.size},
            {"num_params", row.num_params},
            {"global_batch_size", b.global_batch_size},
            {"num_devices", b.num_devices},
            {"rank_microbatch_size", b.rank_microbatch_size},
            {"grad_accum_steps", b.grad_accum_steps},
            {"steps", row.steps},
            {"tokens", row.tokens},
            {"flops", row.flops},
            {"memory", memory_json(row.memory)},
            {"mfu", row.mfu},
            {"mfu_source", row.mfu_source},
            {"gpu_hours", row.gpu_hours ? nlohmann::ordered_json(*row.gpu_hours)
                                        : nlohmann::ordered_json(nullptr)},
        });
    }
    return json;
}

void dry_run_all(const DryRunOptions& options, const config::LadderConfig& config) {
    check_ladder(config);
    const std::vector<BillRow> rows = ladder_bill(config, options.mfu);
    if (options.json) {
        std::cout << bill_json(rows).dump(2) << "\n";
        return;
    }
    print_bill(rows, config);
}

void dry_run(const DryRunOptions& options, const CommonOptions& common) {
    if (options.all == !options.size.empty())
        throw UsageError(options.all ? "give a size or --all, not both"
                                     : "no size given: name one size, or use --all");
    config::LadderConfig config = load_ladder(common);
    if (options.benchmark)
        config::apply_benchmark_mode(config);
    if (options.print_config) {
        std::cout << config::to_yaml(config);
        return;
    }
    if (options.all) {
        dry_run_all(options, config);
        return;
    }
    const RunPlan plan = plan_run(config, options.size);
    print_warnings(plan);
    const MemoryPlan memory =
        plan_memory(plan.model, plan.batch, classify_device(config.device_type),
                    config.trainer.activation_checkpointing, config.trainer.data_parallel.type);
    if (options.json) {
        nlohmann::ordered_json json = to_json(plan);
        json["memory"] = memory_json(memory);
        std::cout << json.dump(2) << "\n";
        return;
    }
    print_text(plan, config, options.show_model);
    if (options.show_memory)
        print_memory(memory, plan);
    if (options.no_plot)
        return;
    const plot::LrFigure figure = plot::make_lr_figure({plan});
    if (stdout_is_terminal()) {
        std::cout << "\n" << plot::render_terminal(figure, 72, 14, stdout_supports_color());
    }
    const std::string path = write_plot(figure, output_folder(options.output_dir, config),
                                        "lr_schedule_" + plan.size, {".png"})
                                 .front();
    std::cout << "Saved LR schedule plot to '" << path << "'\n";
}

}  // namespace

void register_dry_run(CLI::App& app, CommonOptions& common) {
    auto options = std::make_shared<DryRunOptions>();
    CLI::App* command = app.add_subcommand(
        "dry-run",
        "Print the plan of one size: parameters, batch, devices, LR, duration and "
        "checkpoints; save its LR plot");
    command->add_option("size", options->size, "model size, one of the ladder's sizes (or --all)");
    command->add_flag("--all", options->all,
                      "one table of every size instead: batch, devices, steps, tokens, FLOPs, "
                      "data-parallel mode, activation checkpointing, memory and GPU-hours");
    command
        ->add_option("--mfu", options->mfu,
                     "with --all: the model FLOPs utilization the GPU-hours assume, a "
                     "fraction (default: a saved benchmark's, else one by size)")
        ->check(CLI::Range(1e-3, 1.0));
    command->add_flag("--show-model", options->show_model, "also print the model dimensions");
    command->add_flag("--show-memory", options->show_memory,
                      "also print the memory one device needs, term by term, and the "
                      "data-parallel mode and activation checkpointing that make it fit");
    command->add_flag("--json", options->json,
                      "print one JSON object instead (batch sizes in tokens; no plot)");
    command->add_flag("--no-plot", options->no_plot, "do not draw or save the LR plot");
    command->add_flag("--print-config", options->print_config,
                      "print the fully resolved config as YAML and exit");
    command->add_flag("--benchmark", options->benchmark,
                      "plan the run `ladder benchmark` makes: a hard stop (" +
                          std::to_string(config::kBenchmarkHardStopSteps) +
                          " steps unless trainer.hard_stop is set), no checkpoints, no "
                          "evaluations");
    command->add_option("--output-dir", options->output_dir,
                        "where plots go, under <dir>/<ladder name>/ (default: ladder-output)");
    add_config_option(command, common);
    command->callback([options, &common] { dry_run(*options, common); });
}

}  // namespace ladder::cli
