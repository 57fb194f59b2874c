// Step 2 of the OLMo ladder paper's task law (arXiv 2412.04403): accuracy as a sigmoid of
// the task loss, Acc(L) = a / (1 + exp(-k (L - L0))) + b, fitted by least squares on every
// (loss, accuracy) point plus two anchors — L = 0 at the task's maximum accuracy and the
// largest observed L at chance — with a in [-1, 0], L0 >= 0, k >= 0, b in [0, 1], as the
// paper does. Step 1 is the loss law fitted to the task loss; predictions chain the two.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace ladder::fit {

struct Sigmoid {
    double a = 0, k = 0, l0 = 0, b = 0;
    double operator()(double loss) const;
};

struct SigmoidFit {
    Sigmoid law;
    double objective = 0;  // sum of squared errors, anchors included
    bool converged = false;
    std::string status;
};

// Above kSigmoidGridPoints points the starts run on an even sample of that many (by loss),
// the best kSigmoidRefinedStarts end points are refitted on kSigmoidCheckPoints points, and
// the best of those on all.
constexpr size_t kSigmoidGridPoints = 2000;
constexpr size_t kSigmoidRefinedStarts = 3;
constexpr size_t kSigmoidCheckPoints = 50000;

// `points`: (task loss, accuracy). `maximum`: accuracy at zero loss (1 for most tasks);
// `chance`: accuracy at the largest observed loss (0.25 for four-way multiple choice).
SigmoidFit fit_sigmoid(const std::vector<std::pair<double, double>>& points, double maximum,
                       double chance);

}  // namespace ladder::fit
