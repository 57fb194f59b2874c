// Ordering multi-start fits by their objective, shared by the loss law and the task law.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace ladder::fit {

// Sorts `fits` (anything with a double `objective`) best first, keeping the order of ties;
// those without a finite objective go last, and no NaN enters a comparison.
template <class Fit>
void sort_by_objective(std::vector<Fit>& fits) {
    const auto key = [](const Fit& fit) {
        return std::isfinite(fit.objective) ? fit.objective
                                            : std::numeric_limits<double>::infinity();
    };
    std::stable_sort(fits.begin(), fits.end(),
                     [&key](const Fit& x, const Fit& y) { return key(x) < key(y); });
}

}  // namespace ladder::fit
