#include <catch2/catch.hpp>

#include "config/load.hpp"

TEST_CASE("placeholder compile check") {
    REQUIRE(ladder::config::describe_keys().size() > 10);
}
