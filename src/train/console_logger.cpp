#include "train/console_logger.hpp"

#include <fnmatch.h>

#include "util/format.hpp"

namespace ladder::train {

ConsoleLogger::ConsoleLogger(ConsoleLoggerSettings settings, std::FILE* out)
    : settings_(settings), out_(out) {}

const std::vector<std::string>& ConsoleLogger::shown_metrics() {
    static const std::vector<std::string> patterns = {
        "train/CE loss",      "train/PPL", "train/Z loss", "gpu_memory/*", "optim/total grad norm",
        "optim/step skipped", "optim/LR*", "throughput/*", "checkpoint/*"};
    return patterns;
}

void ConsoleLogger::pre_train(const TrainProgress& p) {
    start_ = std::chrono::steady_clock::now();
    start_step_ = p.step;
}

bool ConsoleLogger::should_log(const TrainProgress& p) const {
    return p.step == 1 || p.step % settings_.log_interval == 0 || p.step == p.max_steps;
}

std::string ConsoleLogger::marker(const TrainProgress& p, bool with_eta) const {
    std::string text = "[step=" + std::to_string(p.step) + "/" + std::to_string(p.max_steps) +
                       ",epoch=" + std::to_string(p.epoch);
    const int64_t done = p.step - start_step_;
    if (with_eta && done > 0) {
        const double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        const double remaining =
            elapsed / static_cast<double>(done) * static_cast<double>(p.max_steps - p.step);
        text += ",eta=" + format_duration(remaining) + (settings_.hard_stop ? "(hard stop)" : "");
    }
    return text + "]";
}

void ConsoleLogger::clear_live_line() {
    if (!live_line_shown_)
        return;
    std::fputs("\r\033[K", out_);
    live_line_shown_ = false;
}

void ConsoleLogger::post_train_batch(const TrainProgress& p, Metrics&) {
    if (!settings_.live_progress || should_log(p))
        return;
    std::fprintf(out_, "\r\033[K%s", marker(p, true).c_str());
    std::fflush(out_);
    live_line_shown_ = true;
}

void ConsoleLogger::log_metrics(const TrainProgress& p, const Metrics& metrics) {
    if (!should_log(p))
        return;
    clear_live_line();
    std::string text = marker(p, true) + "\n";
    for (const auto& [name, value] : metrics) {
        for (const auto& pattern : shown_metrics()) {
            if (fnmatch(pattern.c_str(), name.c_str(), 0) == 0) {
                text += "    " + name + "=" + format_metric(value) + "\n";
                break;
            }
        }
    }
    std::fputs(text.c_str(), out_);
    std::fflush(out_);
}

void ConsoleLogger::post_train(const TrainProgress&) {
    clear_live_line();
    std::fflush(out_);
}

}  // namespace ladder::train
