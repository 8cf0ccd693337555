#include "writeback/ignore_rules.h"

#include <optional>
#include <utility>

namespace ipfsfs::writeback {
namespace {

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  size_t at = 0;
  while ((at = s.find(from, at)) != std::string::npos) {
    s.replace(at, from.size(), to);
    at += to.size();
  }
  return s;
}

// go-gitignore's getPatternFromLine, step by step; nullopt for no-op lines.
std::optional<std::pair<std::string, bool>> Translate(std::string line) {
  while (!line.empty() && line.back() == '\r') line.pop_back();
  if (!line.empty() && line.front() == '#') return std::nullopt;
  size_t b = line.find_first_not_of(' ');
  if (b == std::string::npos) return std::nullopt;
  line = line.substr(b, line.find_last_not_of(' ') - b + 1);
  bool negate = false;
  if (line.front() == '!') {
    negate = true;
    line.erase(0, 1);
  }
  if (!line.empty() && (line.front() == '#' || line.front() == '!')) line.erase(0, 1);  // an escaped \# or \!
  // "foo/*.blah" below a folder: anchored, as if written "/foo/*.blah".
  static const std::regex kSlashStarDot(R"(([^\/+])/.*\*\.)");
  if (std::regex_search(line, kSlashStarDot)) line = "/" + line;
  line = ReplaceAll(line, ".", "\\.");
  const std::string magic = "#$~";
  if (line.rfind("/**/", 0) == 0) line.erase(0, 1);
  line = ReplaceAll(line, "/**/", "(/|/.+/)");
  line = ReplaceAll(line, "**/", "(|." + magic + "/)");
  line = ReplaceAll(line, "/**", "(|/." + magic + ")");
  line = ReplaceAll(line, "\\*", "\\" + magic);
  line = ReplaceAll(line, "*", "([^/]*)");
  line = ReplaceAll(line, "?", "\\?");
  line = ReplaceAll(line, magic, "*");
  std::string expr = !line.empty() && line.back() == '/' ? line + "(|.*)$" : line + "(|/.*)$";
  expr = expr.front() == '/' ? "^(|/)" + expr.substr(1) : "^(|.*/)" + expr;
  return std::make_pair(expr, negate);
}

}  // namespace

Result<IgnoreRules> IgnoreRules::Compile(const std::vector<std::string>& lines) {
  IgnoreRules rules;
  for (const std::string& line : lines) {
    auto t = Translate(line);
    if (!t) continue;
    try {
      rules.rules_.push_back(Rule{std::regex(t->first, std::regex::ECMAScript), t->second});
    } catch (const std::regex_error&) {
      return MakeError(ErrorCode::kInvalidArgument, "ignore rule \"" + line + "\" is not a valid pattern");
    }
  }
  return rules;
}

bool IgnoreRules::Excludes(const std::string& name) const {
  bool matched = false;
  for (const Rule& r : rules_) {
    if (!std::regex_search(name, r.pattern)) continue;
    if (!r.negate) {
      matched = true;
    } else if (matched) {
      matched = false;
    }
  }
  return matched;
}

}  // namespace ipfsfs::writeback
