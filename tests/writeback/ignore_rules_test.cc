// IgnoreRules: go-gitignore's translation as kubo uses it, on base names.
#include <catch2/catch.hpp>

#include "writeback/ignore_rules.h"

namespace ipfsfs::writeback {
namespace {

IgnoreRules Rules(std::vector<std::string> lines) {
  auto r = IgnoreRules::Compile(lines);
  REQUIRE(r.has_value());
  return *r;
}

TEST_CASE("ignore rules: globs match base names", "[writeback][ignore]") {
  auto r = Rules({"*.log", "build", "# a comment", "", "   "});
  CHECK(r.Excludes("a.log"));
  CHECK(r.Excludes(".log"));
  CHECK_FALSE(r.Excludes("a.logx"));
  CHECK_FALSE(r.Excludes("alog"));  // the dot is literal
  CHECK(r.Excludes("build"));
  CHECK_FALSE(r.Excludes("builds"));
  CHECK_FALSE(r.Excludes("# a comment"));
}

TEST_CASE("ignore rules: the last matching line decides, ! re-includes", "[writeback][ignore]") {
  auto r = Rules({"*.log", "!keep.log"});
  CHECK(r.Excludes("drop.log"));
  CHECK_FALSE(r.Excludes("keep.log"));
  // A negation before any match includes nothing new.
  auto n = Rules({"!keep.log", "*.log"});
  CHECK(n.Excludes("keep.log"));
  // \! and \# escape a leading ! or #.
  auto e = Rules({"\\!important", "\\#hash"});
  CHECK(e.Excludes("!important"));
  CHECK(e.Excludes("#hash"));
}

TEST_CASE("ignore rules: go-gitignore quirks kept", "[writeback][ignore]") {
  // '?' is a literal question mark, not one character.
  auto q = Rules({"a?c"});
  CHECK(q.Excludes("a?c"));
  CHECK_FALSE(q.Excludes("abc"));
  // A trailing slash needs a slash after the name: a base name never has one.
  CHECK_FALSE(Rules({"dir/"}).Excludes("dir"));
  // A leading slash anchors, and a base name is at the top.
  CHECK(Rules({"/top"}).Excludes("top"));
  // Character classes pass through to the expression.
  CHECK(Rules({"[ab].txt"}).Excludes("a.txt"));
  CHECK_FALSE(Rules({"[ab].txt"}).Excludes("c.txt"));
  CHECK(Rules({"**/x"}).Excludes("x"));
}

TEST_CASE("ignore rules: a line that makes no expression is refused", "[writeback][ignore]") {
  auto r = IgnoreRules::Compile({"a(b"});
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace ipfsfs::writeback
