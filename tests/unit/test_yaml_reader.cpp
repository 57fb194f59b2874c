// The YAML reader: one document of independent nodes, limits on what aliases may expand to.
#include <catch2/catch.hpp>

#include "config/yaml_reader.hpp"
#include "unit/yaml_samples.hpp"

using ladder::config::read_yaml;
using ladder::config::YamlSyntaxError;

namespace {

// "line L, column C: problem" of the error reading `text` throws.
std::string error_reading(const std::string& text) {
    try {
        read_yaml(text);
    } catch (const YamlSyntaxError& e) {
        return e.located();
    }
    FAIL("expected a YamlSyntaxError for: " << text);
    return "";
}

}  // namespace

TEST_CASE("aliases become independent copies and tags are kept", "[yaml]") {
    const YAML::Node root = read_yaml(
        "base: &b {lr: 1, tags: [x]}\nrun: *b\nquoted: '3'\nplain: 3\ninc: !include a\n"
        "empty:\n");
    REQUIRE(root["run"]["lr"].Scalar() == "1");
    YAML::Node run = root["run"];
    run["lr"] = "2";
    CHECK(root["base"]["lr"].Scalar() == "1");  // not shared
    CHECK(root["quoted"].Tag() == "!");
    CHECK(root["plain"].Tag() == "?");
    CHECK(root["inc"].Tag() == "!include");
    CHECK(root["empty"].IsNull());
    CHECK(read_yaml("").IsNull());
    CHECK(read_yaml("# only a comment\n").IsNull());
    CHECK(read_yaml("[1, [2, 3]]").size() == 2);
}

TEST_CASE("what a config never needs is an error with its position", "[yaml]") {
    CHECK(error_reading("a: 1\na: 2\n") == "line 2, column 1: duplicate key 'a'");
    CHECK(error_reading("a: 1\n---\nb: 2\n") ==
          "line 2, column 1: a second YAML document ('---'); a config file holds one");
    CHECK(error_reading("a: &x [1, *x]\n") ==
          "line 1, column 11: alias *x is used inside the node it names");
    CHECK(error_reading("a: &x {b: *x}\n").find("alias *x is used inside") != std::string::npos);
    CHECK(error_reading("? [1, 2]\n: v\n").find("a mapping key must be a name") !=
          std::string::npos);
    CHECK(error_reading("a: 'open\n") == "line 1, column 4: a quoted value without its closing '");
    CHECK(error_reading("a: \"open\\\"\n") ==
          "line 1, column 4: a quoted value without its closing \"");
    CHECK(read_yaml("a: 'it''s'\nb: \"say \\\"hi\\\"\"\n")["a"].Scalar() == "it's");
    CHECK(error_reading("a: [1, 2\n").rfind("line ", 0) == 0);
    CHECK(error_reading("a: *nowhere\n").rfind("line 1", 0) == 0);
}

TEST_CASE("nesting, alias expansion and bytes have limits", "[yaml]") {
    const std::string deep(200, '[');
    CHECK(error_reading(deep + std::string(200, ']')).find("nested deeper than 64 levels") !=
          std::string::npos);
    // Ten levels of ten aliases each: 10^10 values from 400 bytes, refused before copying.
    const std::string bomb = ladder::test::alias_bomb();
    CHECK(error_reading(bomb).find("more than 200000 values once aliases are expanded") !=
          std::string::npos);
    CHECK(error_reading("a: b\nc: \xff\n") == "line 2, column 4: not UTF-8 text");
    CHECK(error_reading("a: \xc0\xaf\n") == "line 1, column 4: not UTF-8 text");      // overlong
    CHECK(error_reading("a: \xed\xa0\x80\n") == "line 1, column 4: not UTF-8 text");  // surrogate
    CHECK(error_reading("a: \xe2\x82\n") == "line 1, column 4: not UTF-8 text");      // cut short
    CHECK(read_yaml("a: caf\xc3\xa9 \xf0\x9f\x98\x80\n")["a"].Scalar() ==
          "caf\xc3\xa9 \xf0\x9f\x98\x80");
}
