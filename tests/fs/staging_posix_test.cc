// The staging/ tree's POSIX semantics through a real `ipfsfs mount`: each
// call's result and errno on staging/ compared with the same call on a plain
// directory of the same local filesystem (the reference), plus what only the
// mount can show (EXDEV to ipfs/, EROFS in ipfs/, owners for another user,
// fsynced bytes surviving a kill -9 of the mount). Skips without FUSE.
#include <fcntl.h>
#include <linux/falloc.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/skip.h"

namespace {

std::string Sh(const std::string& command, int* status = nullptr) {
  std::string full = "timeout 60 sh -c '" + command + "' 2>&1";
  FILE* p = popen(full.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  if (status) *status = WEXITSTATUS(rc);
  return out;
}

// One mount with a staging dir, and a reference directory beside it.
struct StagingMount {
  std::string base, mnt, backing, ref, cache, s;
  int pid = 0;

  StagingMount() {
    char tmpl[] = "/tmp/ipfsfs-staging-XXXXXX";
    REQUIRE(mkdtemp(tmpl));
    base = tmpl;
    chmod(base.c_str(), 0755);  // the unprivileged checks walk through it
    mnt = base + "/mnt";
    backing = base + "/backing";
    ref = base + "/ref";
    cache = base + "/cache";
    s = mnt + "/staging";
    for (const auto& d : {mnt, backing, ref}) REQUIRE(mkdir(d.c_str(), 0755) == 0);
    Start();
  }
  ~StagingMount() {
    Stop();
    Sh("rm -rf " + base);
  }
  void Start() {
    std::string out = Sh(std::string(IPFSFS_BINARY) + " mount --offline --allow-other --cache-dir " + cache +
                         " --staging-dir " + backing + " --log-file " + base + "/log " + mnt);
    INFO(out);
    REQUIRE(out.empty());
    auto status = nlohmann::json::parse(Sh(std::string(IPFSFS_BINARY) + " status --json " + mnt), nullptr, false);
    REQUIRE(!status.is_discarded());
    pid = status["pid"].get<int>();
  }
  void Stop() {
    if (pid <= 0) return;
    Sh(std::string(IPFSFS_BINARY) + " umount " + mnt + " || " + IPFSFS_BINARY + " umount -z " + mnt);
    for (int i = 0; i < 200 && kill(pid, 0) == 0; ++i) usleep(50'000);
    if (kill(pid, 0) == 0) kill(pid, SIGKILL);
    pid = 0;
  }
  // kill -9 of the daemon, then its dead mount detached.
  void Kill() {
    REQUIRE(kill(pid, SIGKILL) == 0);
    for (int i = 0; i < 200 && kill(pid, 0) == 0; ++i) usleep(50'000);
    umount2(mnt.c_str(), MNT_DETACH);
    pid = 0;
  }
};

struct Outcome {
  long rc;
  int err;
};

template <class F>
Outcome Run(F f) {
  errno = 0;
  long rc = f();
  return Outcome{rc, rc < 0 ? errno : 0};
}

// EXPR, written over `root`, on staging/ and on the reference: same answer.
#define SAME(EXPR)                                                        \
  do {                                                                    \
    auto on_ = [&](const std::string& root) -> long { return (EXPR); };   \
    Outcome a_ = Run([&] { return on_(m.s); });                           \
    Outcome b_ = Run([&] { return on_(m.ref); });                         \
    INFO(#EXPR << ": staging " << a_.rc << " errno " << a_.err << " (" << std::strerror(a_.err) \
               << "), reference " << b_.rc << " errno " << b_.err);      \
    CHECK(a_.rc == b_.rc);                                                \
    CHECK(a_.err == b_.err);                                              \
  } while (0)

const char* P(const std::string& root, const char* rel) {
  static thread_local std::string buf[4];
  static thread_local int i = 0;
  i = (i + 1) % 4;
  buf[i] = root + "/" + rel;
  return buf[i].c_str();
}

long WriteFile(const char* path, const std::string& data, int flags = O_WRONLY | O_CREAT | O_TRUNC) {
  int fd = open(path, flags, 0644);
  if (fd < 0) return -1;
  long n = write(fd, data.data(), data.size());
  int err = errno;
  close(fd);
  errno = err;
  return n;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_CASE("staging: errors match the backing filesystem") {
  ipfsfs::testing::SkipUnlessFuse();
  StagingMount m;
  SAME(mkdir(P(root, "d"), 0755));
  SAME(mkdir(P(root, "d"), 0755));  // EEXIST
  SAME(WriteFile(P(root, "d/f"), "hello"));
  SAME(rmdir(P(root, "d")));         // ENOTEMPTY
  SAME(unlink(P(root, "d")));        // EISDIR
  SAME(open(P(root, "d"), O_WRONLY) < 0 ? -1 : 0);  // EISDIR
  SAME(mkdir(P(root, "d/f/x"), 0755));  // ENOTDIR
  SAME(rmdir(P(root, "d/f")));          // ENOTDIR
  SAME(open(P(root, "missing"), O_RDONLY) < 0 ? -1 : 0);  // ENOENT
  SAME(mkdir(P(root, "e"), 0755));
  SAME(rename(P(root, "e"), P(root, "d/f")));  // ENOTDIR
  SAME(rename(P(root, "d/f"), P(root, "e")));  // EISDIR
  SAME(rename(P(root, "d"), P(root, "d/sub")));  // EINVAL
  SAME(open(P(root, "d/f"), O_CREAT | O_EXCL | O_WRONLY, 0644) < 0 ? -1 : 0);  // EEXIST
  std::string long_name(300, 'n');
  SAME(WriteFile((root + "/" + long_name).c_str(), "x"));  // ENAMETOOLONG
  SAME(mkdir((root + "/" + long_name).c_str(), 0755));
  // ipfs/ stays read-only; crossing trees is EXDEV.
  errno = 0;
  CHECK(mkdir((m.mnt + "/ipfs/x").c_str(), 0755) == -1);
  CHECK((errno == EROFS || errno == ENOENT));
  CHECK(rename(P(m.s, "d/f"), (m.mnt + "/ipfs/f").c_str()) == -1);
  CHECK(errno == EXDEV);
  CHECK(link(P(m.s, "d/f"), (m.mnt + "/ipfs/f").c_str()) == -1);
  CHECK(errno == EXDEV);
  CHECK(mkdir((m.mnt + "/other").c_str(), 0755) == -1);
  CHECK(errno == EROFS);
}

TEST_CASE("staging: rename flags, links, symlinks, modes and times match") {
  ipfsfs::testing::SkipUnlessFuse();
  StagingMount m;
  SAME(WriteFile(P(root, "a"), "aaa"));
  SAME(WriteFile(P(root, "b"), "bbbbbb"));
  SAME(renameat2(AT_FDCWD, P(root, "a"), AT_FDCWD, P(root, "b"), RENAME_NOREPLACE));  // EEXIST
  SAME(renameat2(AT_FDCWD, P(root, "a"), AT_FDCWD, P(root, "b"), RENAME_EXCHANGE));
  CHECK(ReadFile(P(m.s, "a")) == "bbbbbb");
  CHECK(ReadFile(P(m.s, "b")) == "aaa");
  SAME(renameat2(AT_FDCWD, P(root, "a"), AT_FDCWD, P(root, "zz"), RENAME_EXCHANGE));  // ENOENT
  SAME(renameat2(AT_FDCWD, P(root, "a"), AT_FDCWD, P(root, "c"), RENAME_NOREPLACE));
  SAME(rename(P(root, "c"), P(root, "b")));  // over an existing file
  CHECK(ReadFile(P(m.s, "b")) == "bbbbbb");
  SAME(link(P(root, "b"), P(root, "hard")));
  SAME(link(P(root, "b"), P(root, "hard")));  // EEXIST
  struct stat st {};
  REQUIRE(stat(P(m.s, "b"), &st) == 0);
  CHECK(st.st_nlink == 2);
  SAME(WriteFile(P(root, "hard"), "via the link", O_WRONLY | O_TRUNC));
  CHECK(ReadFile(P(m.s, "b")) == "via the link");
  SAME(symlink("b", P(root, "sym")));
  SAME(symlink("b", P(root, "sym")));  // EEXIST
  char buf[64] = {};
  CHECK(readlink(P(m.s, "sym"), buf, sizeof(buf)) == 1);
  CHECK(std::string(buf) == "b");
  CHECK(ReadFile(P(m.s, "sym")) == "via the link");
  SAME(chmod(P(root, "b"), 0640));
  REQUIRE(stat(P(m.s, "b"), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);
  SAME(chown(P(root, "b"), 65534, 65534));
  REQUIRE(stat(P(m.s, "b"), &st) == 0);
  CHECK(st.st_uid == 65534);
  CHECK(st.st_gid == 65534);
  timespec times[2] = {{1000000000, 123456789}, {1200000000, 987654321}};
  SAME(utimensat(AT_FDCWD, P(root, "b"), times, 0));
  REQUIRE(stat(P(m.s, "b"), &st) == 0);
  CHECK(st.st_mtim.tv_sec == 1200000000);
  CHECK(st.st_mtim.tv_nsec == 987654321);
  CHECK(st.st_atim.tv_sec == 1000000000);
  SAME(utimensat(AT_FDCWD, P(root, "sym"), times, AT_SYMLINK_NOFOLLOW));
  REQUIRE(lstat(P(m.s, "sym"), &st) == 0);
  CHECK(st.st_mtim.tv_sec == 1200000000);
  SAME(truncate(P(root, "b"), 3));
  CHECK(ReadFile(P(m.s, "b")) == "via");
  SAME(truncate(P(root, "b"), 100000));
  REQUIRE(stat(P(m.s, "b"), &st) == 0);
  CHECK(st.st_size == 100000);
  // The mount shows exactly what the reference holds.
  CHECK(Sh("cd " + m.s + " && find . -printf \"%p %y %s %m %u %n\\n\" | sort") ==
        Sh("cd " + m.ref + " && find . -printf \"%p %y %s %m %u %n\\n\" | sort"));
}

TEST_CASE("staging: append, truncate on open, sparse files, fallocate, seek data and holes, statfs") {
  ipfsfs::testing::SkipUnlessFuse();
  StagingMount m;
  SAME(WriteFile(P(root, "log"), "one\n"));
  SAME(WriteFile(P(root, "log"), "two\n", O_WRONLY | O_APPEND));
  SAME(WriteFile(P(root, "log"), "three\n", O_WRONLY | O_APPEND));
  CHECK(ReadFile(P(m.s, "log")) == "one\ntwo\nthree\n");
  SAME(WriteFile(P(root, "log"), "new", O_WRONLY | O_TRUNC));
  CHECK(ReadFile(P(m.s, "log")) == "new");
  // A sparse file: data at 0 and at 8 MiB, a hole between.
  for (const auto& root : {m.s, m.ref}) {
    int fd = open(P(root, "sparse"), O_RDWR | O_CREAT, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(pwrite(fd, "head", 4, 0) == 4);
    REQUIRE(pwrite(fd, "tail", 4, 8 << 20) == 4);
    REQUIRE(fsync(fd) == 0);
    off_t hole = lseek(fd, 0, SEEK_HOLE);
    off_t data = lseek(fd, 4096, SEEK_DATA);
    INFO(root << " hole " << hole << " data " << data);
    CHECK(hole > 0);
    CHECK(hole < (8 << 20));
    CHECK(data >= (8 << 20) - 65536);
    CHECK(data <= (8 << 20));
    errno = 0;
    CHECK(lseek(fd, (8 << 20) + 100, SEEK_DATA) == -1);
    CHECK(errno == ENXIO);
    CHECK(fallocate(fd, 0, 16 << 20, 4096) == 0);
    CHECK(fallocate(fd, FALLOC_FL_KEEP_SIZE, 32 << 20, 4096) == 0);
    struct stat st {};
    REQUIRE(fstat(fd, &st) == 0);
    CHECK(st.st_size == (16 << 20) + 4096);
    CHECK(st.st_blocks < 2 * 1024);  // the hole holds no blocks
    char buf[4];
    CHECK(pread(fd, buf, 4, 4 << 20) == 4);
    CHECK(std::string(buf, 4) == std::string(4, '\0'));
    close(fd);
  }
  CHECK(ReadFile(P(m.s, "sparse")) == ReadFile(P(m.ref, "sparse")));
  struct statvfs a {}, b {};
  REQUIRE(statvfs(m.s.c_str(), &a) == 0);
  REQUIRE(statvfs(m.backing.c_str(), &b) == 0);
  CHECK(a.f_blocks == b.f_blocks);
  CHECK(a.f_bsize == b.f_bsize);
  CHECK(a.f_files == b.f_files);
  CHECK((a.f_flag & ST_RDONLY) == 0);
}

TEST_CASE("staging: an unlinked file stays open, mmap shared and private writes") {
  ipfsfs::testing::SkipUnlessFuse();
  StagingMount m;
  int fd = open(P(m.s, "gone"), O_RDWR | O_CREAT, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, "still here", 10) == 10);
  REQUIRE(unlink(P(m.s, "gone")) == 0);
  CHECK(access(P(m.s, "gone"), F_OK) == -1);
  CHECK(pwrite(fd, "STILL", 5, 0) == 5);
  char buf[16] = {};
  CHECK(pread(fd, buf, sizeof(buf), 0) == 10);
  CHECK(std::string(buf, 10) == "STILL here");
  CHECK(ftruncate(fd, 5) == 0);
  struct stat st {};
  REQUIRE(fstat(fd, &st) == 0);
  CHECK(st.st_size == 5);
  CHECK(st.st_nlink == 0);
  close(fd);

  const size_t size = 3 * 4096;
  REQUIRE(WriteFile(P(m.s, "map"), std::string(size, 'a')) == static_cast<long>(size));
  fd = open(P(m.s, "map"), O_RDWR);
  REQUIRE(fd >= 0);
  auto* shared = static_cast<char*>(mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  REQUIRE(shared != MAP_FAILED);
  auto* priv = static_cast<char*>(mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0));
  REQUIRE(priv != MAP_FAILED);
  std::memcpy(shared + 4096, "shared write", 12);
  std::memcpy(priv + 8192, "private write", 13);
  CHECK(msync(shared, size, MS_SYNC) == 0);
  CHECK(std::string(priv + 4096, 12) == "shared write");  // a private map sees the file until written
  munmap(shared, size);
  munmap(priv, size);
  close(fd);
  std::string back = ReadFile(m.backing + "/map");
  REQUIRE(back.size() == size);
  CHECK(back.substr(4096, 12) == "shared write");
  CHECK(back.substr(8192, 13) == std::string(13, 'a'));
  CHECK(ReadFile(P(m.s, "map")) == back);
}

TEST_CASE("staging: user xattrs only, user.ipfs.cid read-only") {
  ipfsfs::testing::SkipUnlessFuse();
  StagingMount m;
  SAME(WriteFile(P(root, "x"), "x"));
  SAME(setxattr(P(root, "x"), "user.color", "blue", 4, 0));
  SAME(setxattr(P(root, "x"), "user.color", "red", 3, XATTR_CREATE));   // EEXIST
  SAME(setxattr(P(root, "x"), "user.shape", "round", 5, XATTR_REPLACE));  // ENODATA
  char buf[64] = {};
  SAME(getxattr(P(root, "x"), "user.color", buf, sizeof(buf)));
  CHECK(std::string(buf) == "blue");
  SAME(getxattr(P(root, "x"), "user.color", buf, 2));  // ERANGE
  SAME(getxattr(P(root, "x"), "user.none", buf, sizeof(buf)));  // ENODATA
  SAME(listxattr(P(root, "x"), buf, sizeof(buf)));
  SAME(removexattr(P(root, "x"), "user.color"));
  SAME(removexattr(P(root, "x"), "user.color"));  // ENODATA
  errno = 0;
  CHECK(setxattr(P(m.s, "x"), "trusted.t", "v", 1, 0) == -1);
  CHECK(errno == EOPNOTSUPP);
  CHECK(getxattr(P(m.s, "x"), "user.ipfs.cid", buf, sizeof(buf)) == -1);
  CHECK(errno == ENODATA);  // not synced yet
  CHECK(setxattr(P(m.s, "x"), "user.ipfs.cid", "bafy", 4, 0) == -1);
  CHECK(errno == EPERM);
}

TEST_CASE("staging: another user gets EACCES as on the backing filesystem, and owns what it makes") {
  ipfsfs::testing::SkipUnlessFuse();
  StagingMount m;
  for (const auto& root : {m.s, m.ref}) {
    REQUIRE(mkdir(P(root, "private"), 0700) == 0);
    REQUIRE(WriteFile(P(root, "private/secret"), "s") == 1);
    REQUIRE(mkdir(P(root, "open"), 0777) == 0);
    REQUIRE(chmod(P(root, "open"), 0777) == 0);  // past the umask
    REQUIRE(WriteFile(P(root, "readonly"), "r") == 1);
  }
  // Each probe in a child that has become nobody: its errno is the exit code.
  auto as_nobody = [](const std::function<long()>& probe) {
    pid_t pid = fork();
    if (pid == 0) {
      if (setgid(65534) != 0 || setuid(65534) != 0) _exit(250);
      errno = 0;
      long rc = probe();
      _exit(rc < 0 ? errno : 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WEXITSTATUS(status);
  };
  for (const char* rel : {"private/secret", "private", "readonly"}) {
    for (int flags : {O_RDONLY, O_WRONLY}) {
      int a = as_nobody([&] { return static_cast<long>(open(P(m.s, rel), flags)); });
      int b = as_nobody([&] { return static_cast<long>(open(P(m.ref, rel), flags)); });
      INFO(rel << " flags " << flags);
      CHECK(a == b);
    }
  }
  CHECK(as_nobody([&] { return static_cast<long>(open(P(m.s, "private/secret"), O_RDONLY)); }) == EACCES);
  CHECK(as_nobody([&] { return static_cast<long>(mkdir(P(m.s, "new"), 0755)); }) ==
        as_nobody([&] { return static_cast<long>(mkdir(P(m.ref, "new"), 0755)); }));
  CHECK(as_nobody([&] { return WriteFile(P(m.s, "open/mine"), "m"); }) == 0);
  CHECK(as_nobody([&] { return static_cast<long>(mkdir(P(m.s, "open/dir"), 0755)); }) == 0);
  CHECK(as_nobody([&] { return static_cast<long>(chown(P(m.s, "readonly"), 65534, 65534)); }) == EPERM);
  struct stat st {};
  REQUIRE(stat((m.backing + "/open/mine").c_str(), &st) == 0);
  CHECK(st.st_uid == 65534);
  CHECK(st.st_gid == 65534);
  REQUIRE(stat((m.backing + "/open/dir").c_str(), &st) == 0);
  CHECK(st.st_uid == 65534);
}

TEST_CASE("staging: fsynced data survive a kill -9 of the mount") {
  ipfsfs::testing::SkipUnlessFuse();
  StagingMount m;
  std::string data;
  for (int i = 0; i < 200000; ++i) data += static_cast<char>('a' + (i * 7) % 26);
  REQUIRE(mkdir(P(m.s, "dir"), 0755) == 0);
  int fd = open(P(m.s, "dir/durable"), O_WRONLY | O_CREAT, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, data.data(), data.size()) == static_cast<long>(data.size()));
  REQUIRE(fsync(fd) == 0);
  int dfd = open(P(m.s, "dir"), O_RDONLY | O_DIRECTORY);
  REQUIRE(dfd >= 0);
  CHECK(fsync(dfd) == 0);
  close(dfd);
  m.Kill();
  close(fd);  // the connection is gone: nothing more reaches the tree
  m.Start();
  CHECK(ReadFile(P(m.s, "dir/durable")) == data);
}

}  // namespace
