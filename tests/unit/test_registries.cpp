// The registries: run configurators by run.type and model families by model.family. Each
// offers its names to the config, and an unknown name is one error naming the choices.
#include <catch2/catch.hpp>
#include <string>

#include "config/load.hpp"
#include "ladder/model_family.hpp"
#include "ladder/model_spec.hpp"
#include "ladder/run_configurator.hpp"
#include "unit/config_with.hpp"

using Catch::Matchers::Contains;
using ladder::config::ConfigError;
using ladder::test::config_with;

TEST_CASE("run.type offers the registered run configurators", "[registry][config]") {
    CHECK(ladder::config::run_type_names() ==
          std::vector<std::string>{"wsds_chinchilla", "levanter"});
    for (const auto& type : ladder::config::run_type_names())
        CHECK(ladder::run_configurator(type).type == type);
    CHECK_THROWS_WITH(config_with({{"run.type", "chinchilla"}}),
                      "run.type: expected one of wsds_chinchilla|levanter, got 'chinchilla' "
                      "(from --run.type)");
    CHECK_THROWS_WITH(ladder::run_configurator("chinchilla"),
                      "run.type: unknown run type 'chinchilla'; choices: wsds_chinchilla, "
                      "levanter");
}

TEST_CASE("every run type's settings are in the key reference", "[registry][config]") {
    for (const auto& type : ladder::config::run_type_names()) {
        INFO("run.type " << type);
        bool documented = false;
        for (const auto& doc : ladder::config::describe_keys()) {
            if (doc.help.find("[with run.type: " + type + "]") != std::string::npos)
                documented = true;
        }
        CHECK(documented);
    }
}

TEST_CASE("run types check their own settings at load", "[registry][config]") {
    CHECK_THROWS_WITH(config_with({{"run.type", "levanter"}}),
                      Contains("run.global_batch_size: required with run.type: levanter"));
    CHECK_THROWS_WITH(config_with({{"run.chinchilla_multiple", "3"}}),
                      Contains("run.chinchilla_multiple: expected a power of two >= 0.5"));
}

TEST_CASE("model.family offers the family table", "[registry][model]") {
    CHECK(ladder::config::model_family_names() == std::vector<std::string>{"olmo3", "olmo2"});
    CHECK_THROWS_WITH(config_with({{"model.family", "olmo4"}}),
                      "model.family: expected one of olmo3|olmo2, got 'olmo4' (did you mean "
                      "'olmo3'?) (from --model.family)");
    CHECK_THROWS_AS(ladder::model_family("olmo4"), ConfigError);
    CHECK_THROWS_WITH(ladder::model_family("olmo4"), Contains("choices: olmo3, olmo2"));
}

TEST_CASE("a model takes its windows and QK-norm from its family", "[registry][model]") {
    const auto olmo3 = ladder::find_model_spec(config_with({}), "190M");
    const auto olmo2 = ladder::find_model_spec(config_with({{"model.family", "olmo2"}}), "190M");
    REQUIRE(olmo3);
    REQUIRE(olmo2);
    CHECK(olmo3->window_pattern == ladder::model_family("olmo3").window_pattern);
    CHECK(olmo2->window_pattern.empty());
    CHECK(olmo3->qk_norm);

    // QK-norm weights: one per query and per key/value channel in each layer.
    ladder::ModelSpec without = *olmo2;
    without.qk_norm = false;
    CHECK(olmo2->num_params() - without.num_params() ==
          olmo2->n_layers * (olmo2->n_heads + olmo2->n_kv_heads) * olmo2->head_dim);

    // A custom size takes the family's traits too.
    const auto custom = ladder::find_model_spec(
        config_with({{"model.sizes", "{tiny: {d_model: 64, n_layers: 2, n_heads: 4}}"}}), "tiny");
    REQUIRE(custom);
    CHECK(custom->window_pattern == ladder::model_family("olmo3").window_pattern);
}
