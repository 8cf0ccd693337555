#include "fs/mountinfo.h"

#include <catch2/catch.hpp>

namespace ipfsfs::fs {
namespace {

constexpr const char* kText =
    "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
    "95 22 0:45 / /tmp/a\\040b\\134c rw,nosuid shared:7 master:2 - fuse.ipfsfs ipfsfs rw,user_id=0\n"
    "garbage line\n"
    "96 95 0:46 / /tmp/a\\040b\\134c rw - tmpfs tmpfs rw\n"
    "97 22 0:47 / /mnt/x rw - fuse.ipfsfs ipfsfs rw\n";

TEST_CASE("ParseMountInfo: fields, optional fields, escapes, bad lines skipped") {
  auto mounts = ParseMountInfo(kText);
  REQUIRE(mounts.size() == 4);
  CHECK(mounts[0].mount_id == 22);
  CHECK(mounts[0].device == "0:21");
  CHECK(mounts[0].mount_point == "/proc");
  CHECK(mounts[0].fs_type == "proc");
  CHECK(mounts[1].mount_id == 95);
  CHECK(mounts[1].device == "0:45");
  CHECK(mounts[1].mount_point == "/tmp/a b\\c");
  CHECK(mounts[1].fs_type == "fuse.ipfsfs");
}

TEST_CASE("FindMount: the topmost mount at a point / none elsewhere") {
  auto mounts = ParseMountInfo(kText);
  auto top = FindMount(mounts, "/tmp/a b\\c");
  REQUIRE(top);
  CHECK(top->fs_type == "tmpfs");
  CHECK(top->mount_id == 96);
  auto x = FindMount(mounts, "/mnt/x");
  REQUIRE(x);
  CHECK(x->device == "0:47");
  CHECK_FALSE(FindMount(mounts, "/mnt"));
}

TEST_CASE("ReadMountInfo: this process's table has its root") {
  auto mounts = ReadMountInfo();
  REQUIRE(mounts);
  CHECK(FindMount(*mounts, "/"));
}

}  // namespace
}  // namespace ipfsfs::fs
