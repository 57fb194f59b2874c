// How an NLopt run ended, in words, and whether it ended at a minimum.
#pragma once

#include <nlopt.h>

#include <string>

namespace ladder::fit {

// At a minimum (roundoff-limited included: it cannot improve further), not stopped by a
// limit or a failure.
inline bool nlopt_converged(nlopt_result result) {
    return result == NLOPT_SUCCESS || result == NLOPT_FTOL_REACHED ||
           result == NLOPT_XTOL_REACHED || result == NLOPT_STOPVAL_REACHED ||
           result == NLOPT_ROUNDOFF_LIMITED;
}

inline std::string nlopt_status(nlopt_result result) {
    switch (result) {
        case NLOPT_SUCCESS:
            return "success";
        case NLOPT_STOPVAL_REACHED:
            return "stop value reached";
        case NLOPT_FTOL_REACHED:
            return "objective tolerance reached";
        case NLOPT_XTOL_REACHED:
            return "parameter tolerance reached";
        case NLOPT_MAXEVAL_REACHED:
            return "evaluation limit reached";
        case NLOPT_MAXTIME_REACHED:
            return "time limit reached";
        case NLOPT_ROUNDOFF_LIMITED:
            return "stopped at the limit of floating-point precision";
        case NLOPT_INVALID_ARGS:
            return "invalid arguments";
        case NLOPT_OUT_OF_MEMORY:
            return "out of memory";
        case NLOPT_FORCED_STOP:
            return "forced stop";
        default:
            return "failure";
    }
}

}  // namespace ladder::fit
