#include "ladder/model_family.hpp"

#include "config/ladder_config.hpp"
#include "util/format.hpp"

namespace ladder {

namespace {

// OLMo-3's sliding windows (olmo3_* builders' SlidingWindowAttentionConfig): three layers
// of 4,096-token windows, then one full layer, and the last layer always full.
const std::vector<int64_t> kOlmo3Windows = {4096, 4096, 4096, -1};

const std::vector<ModelFamily>& families() {
    static const std::vector<ModelFamily> all = {
        {"olmo3",
         kOlmo3Windows,
         true,
         // olmo3_600M passes d_model=1280 to olmo2_600M; olmo3_1B builds on olmo2_1B_v2,
         // which has 16 layers.
         {{"600M", 1280, 16, 16, 0, 0, 1.5, 256}, {"1B", 2048, 16, 16, 0, 0, 1.5, 256}}},
        {"olmo2", {}, true, {}},
    };
    return all;
}

}  // namespace

const std::vector<SizeRow>& shared_size_rows() {
    static const std::vector<SizeRow> rows = {
        {"1M", 12, 4, 4, 0, 4, 1.0, 256},
        {"14M", 128, 4, 8, 0, 0, 0, 256},
        {"30M", 256, 4, 8, 0, 0, 0, 256},
        {"60M", 384, 8, 8, 0, 0, 1.5, 256},
        {"100M", 512, 12, 8, 0, 0, 1.5, 256},
        {"190M", 768, 12, 12, 0, 0, 1.5, 256},
        {"370M", 1024, 16, 16, 0, 0, 1.5, 256},
        {"600M", 1344, 16, 16, 0, 0, 1.5, 256},
        {"760M", 1536, 16, 16, 0, 0, 1.5, 256},
        {"1B", 2048, 18, 16, 0, 0, 1.5, 256},
        {"3B", 3328, 16, 16, 0, 0, 1.5, 256},
        {"7B", 4096, 32, 32, 0, 0, 0, 256},
        {"13B", 5120, 40, 40, 0, 0, 0, 256},
        // 27648 = int(m * int(8 * 5120 / 3)) rounded to 512 with m = 27648 / (8 * 5120 / 3).
        {"32B", 5120, 64, 40, 8, 0, 27648.0 / (8.0 * 5120.0 / 3.0), 512},
    };
    return rows;
}

const SizeRow* ModelFamily::row(const std::string& size) const {
    for (const auto& own : own_rows) {
        if (size == own.name)
            return &own;
    }
    for (const auto& shared : shared_size_rows()) {
        if (size == shared.name)
            return &shared;
    }
    return nullptr;
}

const ModelFamily& model_family(const std::string& name) {
    for (const auto& family : families()) {
        if (family.name == name)
            return family;
    }
    throw config::ConfigError("model.family", "unknown model family '" + name + "'; choices: " +
                                                  join(config::model_family_names(), ", "));
}

namespace config {

std::vector<std::string> model_family_names() {
    std::vector<std::string> names;
    for (const auto& family : families())
        names.push_back(family.name);
    return names;
}

}  // namespace config

}  // namespace ladder
