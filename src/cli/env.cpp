// `ladder env`: the training runtime this build uses (LibTorch version, threads, CUDA
// devices, process-group backends), read from the LibTorch module.
#include <nlohmann/json.hpp>

#include <iostream>

#include "cli/common.hpp"
#include "cli/modules.hpp"

namespace ladder::cli {

namespace {

void print_env(bool json) {
    using RuntimeInfo = const char* (*)();
    const auto runtime_info = reinterpret_cast<RuntimeInfo>(
        module_symbol("libladder_torch.so", "ladder_torch_runtime_info"));
    nlohmann::ordered_json info = nlohmann::ordered_json::parse(runtime_info());
    info["ladder_version"] = LADDER_VERSION;
    info["module"] = module_path("libladder_torch.so");
    if (json) {
        std::cout << info.dump(2) << "\n";
        return;
    }
    std::cout << "ladder " << LADDER_VERSION << "\n"
              << "LibTorch " << info["torch_version"].get<std::string>() << " ("
              << info["module"].get<std::string>() << ")\n"
              << "CPU threads: " << info["cpu_threads"].get<int>() << "\n"
              << "CUDA devices: " << info["cuda_devices"].get<int>() << "\n"
              << "Process groups: gloo " << (info["gloo"].get<bool>() ? "yes" : "no") << ", nccl "
              << (info["nccl"].get<bool>() ? "yes" : "no") << "\n";
}

}  // namespace

void register_env(CLI::App& app) {
    auto json = std::make_shared<bool>(false);
    CLI::App* command =
        app.add_subcommand("env", "Show the training runtime: LibTorch, threads, CUDA, backends");
    command->add_flag("--json", *json, "print one JSON object");
    command->callback([json] { print_env(*json); });
}

}  // namespace ladder::cli
