// Progress and metrics on stdout (OLMo-core's ConsoleLoggerCallback): at step 1, every
// log_interval steps and at the last step a `[step=N/MAX,epoch=E,eta=...]` line and one
// `name=value` line per metric, so logs grep the same way; on a terminal a live progress line in
// between.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "train/callback.hpp"

namespace ladder::train {

struct ConsoleLoggerSettings {
    int64_t log_interval = 10;
    bool live_progress = false;  // a redrawn progress line (terminals only)
    bool hard_stop = false;      // the run stops before its planned duration
};

class ConsoleLogger : public Callback {
  public:
    explicit ConsoleLogger(ConsoleLoggerSettings settings, std::FILE* out = stdout);

    void pre_train(const TrainProgress& p) override;
    void post_train_batch(const TrainProgress& p, Metrics& metrics) override;
    void log_metrics(const TrainProgress& p, const Metrics& metrics) override;
    void post_train(const TrainProgress& p) override;

    // The metric names (glob patterns) the console shows, as OLMo-core's default list.
    static const std::vector<std::string>& shown_metrics();

  private:
    bool should_log(const TrainProgress& p) const;
    std::string marker(const TrainProgress& p, bool with_eta) const;
    void clear_live_line();

    ConsoleLoggerSettings settings_;
    std::FILE* out_;
    std::chrono::steady_clock::time_point start_;
    int64_t start_step_ = 0;
    bool live_line_shown_ = false;
};

}  // namespace ladder::train
