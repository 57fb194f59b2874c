#include "plot/lr_figure.hpp"

#include <algorithm>

#include "util/format.hpp"

namespace ladder::plot {

double LrFigure::max_tokens() const {
    double m = 0;
    for (const auto& curve : curves) {
        if (!curve.points.empty())
            m = std::max(m, curve.points.back().tokens);
    }
    return m;
}

double peak_lr(const LrCurve& curve) {
    double m = 0;
    for (const auto& p : curve.points)
        m = std::max(m, p.lr);
    return m;
}

double LrFigure::max_lr() const {
    double m = 0;
    for (const auto& curve : curves)
        m = std::max(m, peak_lr(curve));
    return m;
}

std::vector<LrPoint> sample_schedule(const RunPlan& plan) {
    std::vector<LrPoint> points;
    points.reserve(static_cast<size_t>(plan.duration_steps));
    const double batch = static_cast<double>(plan.batch.global_batch_size);
    for (int64_t step = 1; step <= plan.duration_steps; ++step) {
        points.push_back({static_cast<double>(step) * batch, plan.lr_at_step(step)});
    }
    return points;
}

namespace {

LrCurve make_curve(const RunPlan& plan) {
    LrCurve curve;
    curve.label = plan.size;
    curve.points = sample_schedule(plan);
    curve.periods = plan.period_marks;
    for (const auto& checkpoint : plan.checkpoints) {
        curve.checkpoints.push_back(
            {static_cast<double>(checkpoint.tokens), plan.lr_at_step(checkpoint.step)});
    }
    return curve;
}

std::string caption_line_1(const RunPlan& plan, double peak) {
    std::string line = "peak LR=" + fixed(peak, 6) + ", batch size=" +
                       format_tokens(static_cast<double>(plan.batch.global_batch_size));
    for (const auto& mark : plan.period_marks) {
        if (mark.label == "1xC")
            line += ", 1xC=" + format_tokens(static_cast<double>(mark.tokens));
    }
    return line;
}

std::string caption_line_2(const RunPlan& plan) {
    const int64_t batch = plan.batch.global_batch_size;
    return "warmup=" + format_tokens(static_cast<double>(plan.warmup_tokens)) + " / " +
           with_commas(plan.warmup_tokens / batch) +
           " steps, duration=" + format_tokens(static_cast<double>(plan.duration_tokens)) + " / " +
           with_commas(plan.duration_steps) + " steps";
}

}  // namespace

LrFigure make_lr_figure(const std::vector<RunPlan>& plans) {
    LrFigure figure;
    for (const auto& plan : plans)
        figure.curves.push_back(make_curve(plan));
    if (plans.size() == 1) {
        figure.title = plans.front().schedule_title;
        figure.caption = {caption_line_1(plans.front(), peak_lr(figure.curves.front())),
                          caption_line_2(plans.front())};
        return figure;
    }
    std::vector<std::string> sizes;
    for (const auto& plan : plans)
        sizes.push_back(plan.size);
    figure.title = "Learning rate schedules for sizes " + join(sizes, ", ");
    for (size_t i = 0; i < plans.size(); ++i) {
        figure.caption.push_back(plans[i].size + ": " +
                                 caption_line_1(plans[i], peak_lr(figure.curves[i])) + ", " +
                                 caption_line_2(plans[i]));
    }
    return figure;
}

}  // namespace ladder::plot
