// The model families, one traits row each: what sets OLMo-core's TransformerConfig.olmo2_*
// and olmo3_* builders (olmo_core/nn/transformer/config.py) apart. A new family is one row
// in model_family.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ladder {

// One row of the built-in size table, as the olmo2_<size> builders set it.
struct SizeRow {
    const char* name;
    int64_t d_model;
    int64_t n_layers;
    int64_t n_heads;
    int64_t n_kv_heads;  // 0: same as n_heads
    int64_t head_dim;    // 0: d_model / n_heads
    double multiplier;   // SwiGLU hidden_size_multiplier; 0: none
    int64_t multiple_of;
};

struct ModelFamily {
    std::string name;
    // Sliding-window pattern repeated over the layers (-1 = full attention); empty: every
    // layer full. The last layer is always full.
    std::vector<int64_t> window_pattern;
    bool qk_norm = true;  // RMSNorm over all heads of q and of k
    // Rows replacing the shared table's row of the same name.
    std::vector<SizeRow> own_rows;

    // The row of a built-in size in this family; nullptr when there is none.
    const SizeRow* row(const std::string& size) const;
};

// The built-in sizes, smallest first, shared by every family unless it has its own row.
const std::vector<SizeRow>& shared_size_rows();

// The family called `name`; ConfigError on model.family naming the choices when unknown.
const ModelFamily& model_family(const std::string& name);

}  // namespace ladder
