// Reads YAML text into a tree of independent nodes, refusing what a config never needs
// and what would make a reader crash, hang or explode: yaml-cpp's own loader shares the
// node of an anchor with every alias of it, so `a: &x [*x]` becomes a cycle (every walk
// over it recurses until the stack overflows) and ten nested aliases of ten make a
// billion-node "alias bomb" out of a few hundred bytes.
#pragma once

#include <stdexcept>
#include <string>

#include <yaml-cpp/yaml.h>

namespace ladder::config {

// What the reader refuses, with the 1-based position where it noticed.
class YamlSyntaxError : public std::runtime_error {
  public:
    YamlSyntaxError(int line, int column, const std::string& problem)
        : std::runtime_error(problem), line_(line), column_(column) {}
    int line() const { return line_; }
    int column() const { return column_; }
    // "line 3, column 5: duplicate key 'name'"
    std::string located() const;

  private:
    int line_;
    int column_;
};

// Limits no real config comes near: a ladder config has a few hundred values.
constexpr size_t kMaxYamlValues = 200000;
constexpr int kMaxYamlDepth = 64;

// One YAML document (an empty text is a Null node). Aliases are expanded into copies;
// throws YamlSyntaxError for a syntax error, a second document, a duplicate or non-scalar
// mapping key, an alias inside the node it names, more than kMaxYamlValues values after
// expanding aliases, nesting deeper than kMaxYamlDepth, or text that is not UTF-8.
// Scalars keep yaml-cpp's tags ("?" plain, "!" quoted, "!include", ...).
YAML::Node read_yaml(const std::string& text);

}  // namespace ladder::config
