// IgnoreRules: the `--ignore` / `--ignore-rules-path` exclusions of `ipfs add`
// (kubo-add.md §6). kubo compiles the lines with sabhiram/go-gitignore, which
// turns each gitignore line into a regular expression, and boxo's files.Filter
// matches them against an entry's base name (not its path below the argument),
// the last matching line deciding ("!" re-includes). This reproduces that
// translation, quirks included ('?' is literal, "**" as go-gitignore reads it).
// Immutable after Compile; thread-compatible.
#ifndef IPFSFS_WRITEBACK_IGNORE_RULES_H_
#define IPFSFS_WRITEBACK_IGNORE_RULES_H_

#include <regex>
#include <string>
#include <vector>

#include "base/result.h"

namespace ipfsfs::writeback {

class IgnoreRules {
 public:
  // Lines as a .gitignore holds them: blanks and "#" comments are skipped.
  // kInvalidArgument when a line makes no valid expression.
  [[nodiscard]] static Result<IgnoreRules> Compile(const std::vector<std::string>& lines);

  bool empty() const { return rules_.empty(); }
  // True when the entry named `name` (a base name) is excluded.
  bool Excludes(const std::string& name) const;

 private:
  struct Rule {
    std::regex pattern;
    bool negate = false;
  };
  std::vector<Rule> rules_;
};

}  // namespace ipfsfs::writeback

#endif  // IPFSFS_WRITEBACK_IGNORE_RULES_H_
