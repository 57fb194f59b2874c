// The hf_exporter callback (see hf_exporter.hpp).
#include "train/hf_exporter.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "hf/export_folder.hpp"
#include "io/checkpoint_dir.hpp"
#include "train/hf_weights.hpp"

namespace ladder::train {

HfExporter::HfExporter(const config::LadderConfig& config, const RunPlan& plan,
                       std::set<int64_t> planned_steps)
    : config_(config),
      plan_(plan),
      planned_steps_(std::move(planned_steps)),
      // A bad size is a config mistake: found before training, not after it.
      max_shard_bytes_(hf::parse_shard_size(config.trainer.callbacks.hf_exporter.max_shard_size,
                                            "trainer.callbacks.hf_exporter.max_shard_size")) {}

void HfExporter::post_train(const TrainProgress& progress) {
    const config::HfExporterConfig& settings = config_.trainer.callbacks.hf_exporter;
    const std::vector<int64_t> saved = io::find_checkpoints(plan_.save_folder);
    std::vector<int64_t> steps;
    for (const int64_t step : saved) {
        const bool wanted = settings.every_checkpoint
                                ? planned_steps_.count(step) > 0 || step == progress.step
                                : step == saved.back();
        if (wanted && step > 0)
            steps.push_back(step);
    }
    for (const int64_t step : steps) {
        const std::string folder = hf::default_export_folder(plan_, step);
        if (std::filesystem::exists(folder))
            continue;  // exported by an earlier run of this rung
        std::filesystem::create_directories(std::filesystem::path(folder).parent_path());
        spdlog::info("{}", hf::write_export_folder(config_, plan_,
                                                   io::checkpoint_dir(plan_.save_folder, step),
                                                   folder, settings.dtype, max_shard_bytes_,
                                                   [this](const hf::ExportRequest& request) {
                                                       export_checkpoint_weights(plan_, request);
                                                   }));
    }
}

}  // namespace ladder::train
