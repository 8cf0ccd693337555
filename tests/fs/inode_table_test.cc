#include "fs/inode_table.h"

#include <catch2/catch.hpp>

namespace ipfsfs::fs {
namespace {

resolver::NodeInfo Info(uint64_t size) {
  resolver::NodeInfo i;
  i.size = size;
  return i;
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
  CHECK(t.Get(a)->info->size == 1);  // remembered
  CHECK(t.Remember(3, "a", 0, Info(1), true) == a);
  CHECK(t.Intern(3, "b", 0) == b);
  Ino c = t.Intern(3, "c", 0);
  CHECK_FALSE(t.Get(c)->info);
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

}  // namespace
}  // namespace ipfsfs::fs
