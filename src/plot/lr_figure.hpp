// What an LR plot shows, independent of how it is drawn (image file or terminal).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ladder/run_plan.hpp"

namespace ladder::plot {

struct LrPoint {
    double tokens = 0;
    double lr = 0;
};

struct LrCurve {
    std::string label;                 // the size, for the legend
    std::vector<LrPoint> points;       // one per optimizer step
    std::vector<PeriodMark> periods;   // dashed vertical lines
    std::vector<LrPoint> checkpoints;  // marks on the curve
};

double peak_lr(const LrCurve& curve);

struct LrFigure {
    std::string title;
    std::vector<std::string> caption;  // lines under the x axis
    std::vector<LrCurve> curves;
    double max_tokens() const;
    double max_lr() const;
};

// One curve per plan; title and caption as OLMo-core writes them for one size.
LrFigure make_lr_figure(const std::vector<RunPlan>& plans);

// The schedule sampled as OLMo-core's plot does: LR of every step s = 1..duration_steps
// at tokens s * global batch.
std::vector<LrPoint> sample_schedule(const RunPlan& plan);

}  // namespace ladder::plot
