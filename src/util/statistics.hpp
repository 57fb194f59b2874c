// Order statistics shared by the benchmark table and the scaling-law fits.
#pragma once

#include <vector>

namespace ladder {

// The q-quantile (0..1) of `values`, linearly interpolated between order statistics (as
// numpy's default); `values` must not be empty.
double quantile(std::vector<double> values, double q);

}  // namespace ladder
