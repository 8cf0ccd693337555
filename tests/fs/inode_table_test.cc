#include "fs/inode_table.h"

#include <catch2/catch.hpp>

namespace ipfsfs::fs {
namespace {

// A node whose identity is a number, as a mutable tree's names might change.
struct TestNode : TreeNode {
  explicit TestNode(int i) : id(i) {}
  bool SameIdentity(const TreeNode& newer) const override { return static_cast<const TestNode&>(newer).id == id; }
  int id;
};

TreeEntry Info(uint64_t size, int id = 0, double timeout = 0) {
  TreeEntry e;
  e.node = std::make_shared<TestNode>(id);
  e.attr.size = size;
  e.entry_timeout = timeout;
  e.attr_timeout = timeout;
  return e;
}

TEST_CASE("InodeTable: one number per (parent / name) / stable across forget") {
  InodeTable t(10, 100);
  Ino a = t.Remember(3, "a", 0, Info(1), true);
  CHECK(a == 10);
  CHECK(t.Remember(3, "a", 0, Info(1), true) == a);
  Ino b = t.Remember(3, "b", 0, Info(2), true);
  Ino a_elsewhere = t.Remember(4, "a", 0, Info(1), true);
  CHECK(b != a);
  CHECK(a_elsewhere != a);
  CHECK(t.Get(a)->nlookup == 2);
  t.Forget(a, 2);
  CHECK(t.Get(a)->nlookup == 0);
  CHECK(t.Get(a)->entry.attr.size == 1);  // remembered
  CHECK(t.Remember(3, "a", 0, Info(1), true) == a);
  CHECK(t.Intern(3, "b", 0) == b);
  Ino c = t.Intern(3, "c", 0);
  CHECK_FALSE(t.Get(c)->known());
  CHECK(t.Find(3, "c")->ino == c);
  CHECK(t.total_lookups() == 3);
}

TEST_CASE("InodeTable: forgotten entries beyond the cap are dropped / counted ones never") {
  InodeTable t(2, 3);
  Ino held = t.Remember(1, "held", 0, Info(0), true);
  std::vector<Ino> gone;
  for (int i = 0; i < 10; ++i) gone.push_back(t.Remember(1, "n" + std::to_string(i), 0, Info(i), false));
  CHECK(t.Get(held));
  CHECK(t.size() <= 4);
  CHECK_FALSE(t.Get(gone[0]));
  CHECK(t.Get(gone[9]));
  Ino again = t.Remember(1, "n0", 0, Info(0), false);
  CHECK(again != gone[0]);  // numbers are never reused
}

TEST_CASE("InodeTable: a new answer replaces the attributes and timeouts kept (not the first forever)") {
  InodeTable t(2, 100);
  Ino a = t.Remember(1, "a", 0, Info(5, 7, 1.0), true);
  CHECK(t.Remember(1, "a", 0, Info(9, 7, 2.5), false) == a);
  CHECK(t.Get(a)->entry.attr.size == 9);
  CHECK(t.Get(a)->entry.attr_timeout == 2.5);
  CHECK(t.Update(a, Info(11, 7, 3.0)));
  CHECK(t.Find(1, "a")->entry.attr.size == 11);
  CHECK_FALSE(t.Update(999, Info(1)));
}

TEST_CASE("InodeTable: a name whose identity changed gets a fresh number / the old one lives until forgotten") {
  InodeTable t(2, 100);
  Ino v1 = t.Remember(1, "name", 0, Info(1, 1), true);
  Ino v2 = t.Remember(1, "name", 0, Info(2, 2), true);
  CHECK(v2 != v1);
  CHECK(t.Find(1, "name")->ino == v2);
  REQUIRE(t.Get(v1));  // the kernel still holds v1
  CHECK(t.Get(v1)->entry.attr.size == 1);
  CHECK(t.Get(v2)->entry.attr.size == 2);
  t.Forget(v1, 1);
  CHECK_FALSE(t.Get(v1));  // detached and forgotten: gone at once
  CHECK(t.Find(1, "name")->ino == v2);
  // An unchanged identity keeps the number.
  CHECK(t.Remember(1, "name", 0, Info(3, 2), true) == v2);
  CHECK(t.Get(v2)->nlookup == 2);
  // A replaced name nobody holds leaves nothing behind.
  Ino w1 = t.Remember(1, "w", 0, Info(1, 1), false);
  Ino w2 = t.Remember(1, "w", 0, Info(1, 2), false);
  CHECK(w2 != w1);
  CHECK_FALSE(t.Get(w1));
  CHECK(t.total_lookups() == 2);
}

}  // namespace
}  // namespace ipfsfs::fs
