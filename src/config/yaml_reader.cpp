#include "config/yaml_reader.hpp"

#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include <yaml-cpp/eventhandler.h>

namespace ladder::config {

std::string YamlSyntaxError::located() const {
    return "line " + std::to_string(line_) + ", column " + std::to_string(column_) + ": " + what();
}

namespace {

// The 1-based line and column of the first byte that does not continue valid UTF-8, or
// {0, 0} when all of `text` is UTF-8.
std::pair<int, int> first_invalid_utf8(const std::string& text) {
    int line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < text.size();) {
        const auto byte = static_cast<unsigned char>(text[i]);
        size_t length = byte < 0x80           ? 1
                        : (byte >> 5) == 0x6  ? 2
                        : (byte >> 4) == 0xE  ? 3
                        : (byte >> 3) == 0x1E ? 4
                                              : 0;
        bool valid = length > 0 && i + length <= text.size();
        for (size_t k = 1; valid && k < length; ++k)
            valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
        if (valid && length > 1) {
            // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
            uint32_t code = byte & (0x7F >> length);
            for (size_t k = 1; k < length; ++k)
                code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
            static const uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
            valid =
                code >= smallest[length] && code <= 0x10FFFF && !(code >= 0xD800 && code <= 0xDFFF);
        }
        if (!valid)
            return {line, static_cast<int>(i - line_start) + 1};
        if (byte == '\n') {
            ++line;
            line_start = i + 1;
        }
        i += length;
    }
    return {0, 0};
}

// Whether the quoted scalar that starts at `start` (a ' or ") has its closing quote: yaml-cpp
// 0.7 ends one at the end of the text without a word.
bool quote_is_closed(const std::string& text, size_t start) {
    const char quote = text[start];
    for (size_t i = start + 1; i < text.size(); ++i) {
        if (quote == '"' && text[i] == '\\') {
            ++i;  // an escaped character
        } else if (text[i] == quote) {
            if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
                ++i;  // '' is a quote inside single quotes
            } else {
                return true;
            }
        }
    }
    return false;
}

// Builds the tree from yaml-cpp's parse events, copying anchored nodes at each alias.
class TreeBuilder : public YAML::EventHandler {
  public:
    explicit TreeBuilder(const std::string& text) : text_(text) {}
    YAML::Node root() const { return root_; }

    void OnDocumentStart(const YAML::Mark& mark) override {
        if (++documents_ > 1)
            fail(mark, "a second YAML document ('---'); a config file holds one");
    }
    void OnDocumentEnd() override {}

    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        add(mark, YAML::Node(YAML::NodeType::Null), anchor, 1);
    }
    void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  const std::string& value) override {
        const auto at = static_cast<size_t>(mark.pos);
        if (at < text_.size() && (text_[at] == '"' || text_[at] == '\'') &&
            !quote_is_closed(text_, at))
            fail(mark, std::string("a quoted value without its closing ") + text_[at]);
        YAML::Node node(value);
        node.SetTag(tag);
        add(mark, node, anchor, 1);
    }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        const auto found = anchors_.find(anchor);
        if (found == anchors_.end()) {
            fail(mark, "alias *" + anchor_name(anchor) + " is used inside the node it names");
        }
        count(mark, found->second.values);  // before copying: an alias bomb stops here
        attach(mark, YAML::Clone(found->second.node));
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        open(mark, YAML::NodeType::Sequence, tag, anchor);
    }
    void OnSequenceEnd() override { close(); }
    void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override {
        open(mark, YAML::NodeType::Map, tag, anchor);
    }
    void OnMapEnd() override {
        if (open_.back().key)
            fail(open_.back().mark, "a mapping key without a value");
        close();
    }
    void OnAnchor(const YAML::Mark&, const std::string& name) override { next_anchor_ = name; }

  private:
    struct Open {
        YAML::Node node;
        YAML::Mark mark;
        YAML::anchor_t anchor;
        size_t values_before;  // values_ when it opened: its own size is the difference
        std::optional<std::string> key;
        std::set<std::string> keys;
    };
    struct Anchored {
        YAML::Node node;
        size_t values;
    };

    [[noreturn]] static void fail(const YAML::Mark& mark, const std::string& problem) {
        throw YamlSyntaxError(mark.line + 1, mark.column + 1, problem);
    }

    std::string anchor_name(YAML::anchor_t anchor) const {
        const auto found = names_.find(anchor);
        return found == names_.end() ? std::to_string(anchor) : found->second;
    }

    void count(const YAML::Mark& mark, size_t values) {
        if (values > kMaxYamlValues - values_) {
            fail(mark, "more than " + std::to_string(kMaxYamlValues) +
                           " values once aliases are expanded");
        }
        values_ += values;
    }

    void name_anchor(YAML::anchor_t anchor) {
        if (anchor != 0)
            names_[anchor] = next_anchor_;
    }

    void open(const YAML::Mark& mark, YAML::NodeType::value type, const std::string& tag,
              YAML::anchor_t anchor) {
        if (open_.size() >= static_cast<size_t>(kMaxYamlDepth))
            fail(mark, "nested deeper than " + std::to_string(kMaxYamlDepth) + " levels");
        if (!open_.empty() && open_.back().node.IsMap() && !open_.back().key)
            fail(mark, "a mapping key must be a name, not a list or mapping");
        count(mark, 1);
        name_anchor(anchor);
        YAML::Node node(type);
        node.SetTag(tag);
        open_.push_back(Open{node, mark, anchor, values_, std::nullopt, {}});
    }

    void close() {
        Open done = std::move(open_.back());
        open_.pop_back();
        if (done.anchor != 0)
            anchors_[done.anchor] = Anchored{done.node, values_ - done.values_before + 1};
        attach(done.mark, done.node);
    }

    // A scalar, null or copied alias: counted, remembered when anchored, attached.
    void add(const YAML::Mark& mark, YAML::Node node, YAML::anchor_t anchor, size_t values) {
        count(mark, values);
        if (anchor != 0) {
            name_anchor(anchor);
            anchors_[anchor] = Anchored{node, values};
        }
        attach(mark, node);
    }

    void attach(const YAML::Mark& mark, YAML::Node node) {
        if (open_.empty()) {
            root_ = node;
            return;
        }
        Open& parent = open_.back();
        if (parent.node.IsSequence()) {
            parent.node.push_back(node);
        } else if (!parent.key) {
            if (!node.IsScalar())
                fail(mark, "a mapping key must be a name, not " +
                               std::string(node.IsNull() ? "empty" : "a list or mapping"));
            if (!parent.keys.insert(node.Scalar()).second)
                fail(mark, "duplicate key '" + node.Scalar() + "'");
            parent.key = node.Scalar();
        } else {
            parent.node[*parent.key] = node;
            parent.key.reset();
        }
    }

    const std::string& text_;
    YAML::Node root_;
    std::vector<Open> open_;
    std::map<YAML::anchor_t, Anchored> anchors_;
    std::map<YAML::anchor_t, std::string> names_;
    std::string next_anchor_;
    size_t values_ = 0;
    int documents_ = 0;
};

}  // namespace

YAML::Node read_yaml(const std::string& text) {
    const auto [line, column] = first_invalid_utf8(text);
    if (line != 0)
        throw YamlSyntaxError(line, column, "not UTF-8 text");
    std::istringstream stream(text);
    TreeBuilder builder(text);
    try {
        YAML::Parser parser(stream);
        while (parser.HandleNextDocument(builder)) {
        }
    } catch (const YAML::ParserException& e) {
        throw YamlSyntaxError(e.mark.line + 1, e.mark.column + 1, e.msg);
    }
    const YAML::Node root = builder.root();
    return root.IsDefined() ? root : YAML::Node(YAML::NodeType::Null);
}

}  // namespace ladder::config
