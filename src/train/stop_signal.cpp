#include "train/stop_signal.hpp"

#include <spdlog/spdlog.h>

#include "util/format.hpp"
#include "util/stop_request.hpp"

namespace ladder::train {

void StopSignalHandler::pre_train(const TrainProgress&) {
    install_stop_handlers();
}

std::string StopSignalHandler::stop_reason(const TrainProgress&) {
    const int signal = stop_requested();
    const bool anywhere = any_rank_ ? any_rank_(signal != 0) : signal != 0;
    if (signal != 0)
        return signal_name(signal);
    return anywhere ? "a signal to another rank" : "";
}

void StopSignalHandler::post_train(const TrainProgress& p) {
    if (!p.stop_reason.empty())
        spdlog::info("stopped by {} after step {}", p.stop_reason, with_commas(p.step));
}

}  // namespace ladder::train
