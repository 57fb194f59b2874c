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
      pending_(config.trainer.callbacks.hf_exporter.every_checkpoint ? std::move(planned_steps)
                                                                     : std::set<int64_t>{}),
      // A bad size is a config mistake: found before training, not after it.
      max_shard_bytes_(hf::parse_shard_size(config.trainer.callbacks.hf_exporter.max_shard_size,
                                            "trainer.callbacks.hf_exporter.max_shard_size")) {}

void HfExporter::export_step(int64_t step) {
    const std::string folder = hf::default_export_folder(plan_, step);
    if (std::filesystem::exists(folder))
        return;
    const config::HfExporterConfig& settings = config_.trainer.callbacks.hf_exporter;
    spdlog::info(
        "{}", hf::write_export_folder(config_, plan_, io::checkpoint_dir(plan_.save_folder, step),
                                      folder, settings.dtype, max_shard_bytes_,
                                      [this](const hf::ExportRequest& request) {
                                          export_checkpoint_weights(plan_, request);
                                      }));
}

void HfExporter::post_step(const TrainProgress& progress) {
    // A checkpoint written in the background is complete some steps after its own.
    for (auto it = pending_.begin(); it != pending_.end() && *it <= progress.step;) {
        if (*it > 0 && io::is_complete_checkpoint(io::checkpoint_dir(plan_.save_folder, *it))) {
            export_step(*it);
            it = pending_.erase(it);
        } else {
            ++it;
        }
    }
}

void HfExporter::post_train(const TrainProgress& progress) {
    post_step(progress);
    const std::vector<int64_t> saved = io::find_checkpoints(plan_.save_folder);
    if (!saved.empty() && saved.back() > 0)
        export_step(saved.back());
}

}  // namespace ladder::train
