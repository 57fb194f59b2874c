// <run folder>/metrics.jsonl: one JSON object per logged step,
// {"step":N,"tokens":T,"<metric>":value,...} with the metrics sorted by name and a
// non-finite value as null; each line is flushed as its step is logged, so a crash loses
// nothing logged before it.
#pragma once

#include <fstream>
#include <string>

#include "train/callback.hpp"

namespace ladder::train {

class MetricsJsonl : public Callback {
  public:
    explicit MetricsJsonl(std::string run_folder);

    const std::string& path() const { return path_; }

    // Creates the folder if missing. A fresh run (step 0) starts a new file. A resumed run
    // keeps only the lines up to the step it resumes from, since it logs the later steps
    // again. A torn last line (cut before its newline by a crash) and blank lines are
    // dropped; any other line that is not a metrics record is a UsageError naming the file
    // and line.
    void pre_train(const TrainProgress& progress) override;
    void log_metrics(const TrainProgress& progress, const Metrics& metrics) override;
    void post_train(const TrainProgress& progress) override;

  private:
    void keep_lines_up_to(int64_t step) const;

    std::string path_;
    std::ofstream out_;
};

}  // namespace ladder::train
