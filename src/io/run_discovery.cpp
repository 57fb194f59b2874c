#include "io/run_discovery.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include "io/checkpoint_dir.hpp"

namespace ladder::io {

namespace fs = std::filesystem;

namespace {

// The checkpoint of `step` as found in the first folder that holds it completely, with
// its metrics file from the first folder that has one.
RunCheckpointInfo look_up(const std::vector<std::string>& folders, const RunPlan& plan,
                          int64_t step, std::string name) {
    RunCheckpointInfo info;
    info.name = std::move(name);
    info.step = step;
    info.tokens = step * plan.batch.global_batch_size;
    info.path = checkpoint_dir(folders.front(), step);
    for (const auto& folder : folders) {
        const std::string dir = checkpoint_dir(folder, step);
        if (is_complete_checkpoint(dir)) {
            info.path = dir;
            info.exists = true;
            break;
        }
    }
    if (step == 0)
        return info;  // the initial checkpoint has no metrics
    for (const auto& folder : folders) {
        const fs::path file = fs::path(folder) / metrics_file_name(step);
        std::error_code ec;
        if (fs::is_regular_file(file, ec)) {
            info.metrics_path = file.string();
            break;
        }
    }
    return info;
}

}  // namespace

std::string metrics_file_name(int64_t step) {
    return "metrics_step" + std::to_string(step) + ".json";
}

std::vector<std::string> run_folders(const RunPlan& plan,
                                     const std::vector<std::string>& alternative_dirs) {
    std::vector<std::string> folders = {plan.save_folder};
    for (const auto& root : alternative_dirs)
        folders.push_back((fs::path(root) / plan.size).string());
    return folders;
}

std::vector<RunCheckpointInfo> expected_checkpoints(
    const RunPlan& plan, const std::vector<std::string>& alternative_dirs) {
    const std::vector<std::string> folders = run_folders(plan, alternative_dirs);
    std::vector<RunCheckpointInfo> checkpoints = {look_up(folders, plan, 0, "initialization")};
    for (const auto& point : plan.checkpoints)
        checkpoints.push_back(look_up(folders, plan, point.step, point.name));
    std::stable_sort(checkpoints.begin(), checkpoints.end(),
                     [](const auto& a, const auto& b) { return a.step < b.step; });
    return checkpoints;
}

std::vector<RunCheckpointInfo> discover_checkpoints(
    const RunPlan& plan, const std::vector<std::string>& alternative_dirs) {
    const std::vector<std::string> folders = run_folders(plan, alternative_dirs);
    std::set<int64_t> steps;
    for (const auto& folder : folders) {
        for (int64_t step : find_checkpoints(folder))
            steps.insert(step);
    }
    std::vector<RunCheckpointInfo> checkpoints;
    for (int64_t step : steps)
        checkpoints.push_back(look_up(folders, plan, step, "step-" + std::to_string(step)));
    return checkpoints;
}

}  // namespace ladder::io
