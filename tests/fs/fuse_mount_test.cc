// Real FUSE mounts of the Filesystem over an in-memory BlockGetter: the
// kernel, ls, cat, find, stat and getfattr see exactly what users will.
// Every mount is stopped (connection aborted, unmounted) by the fixture even
// when a check fails, and a watchdog ends a hung test instead of CI. Cases
// that cannot mount (not root, no /dev/fuse) report skipped.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

#include "fs/fuse_adapter.h"
#include "fs/ipfs_tree.h"
#include "tests/fs/local_tree.h"
#include "tests/support/memory_block_getter.h"
#include "tests/support/skip.h"

namespace ipfsfs::fs {
namespace {

using testing::DagBuilder;
using testing::MemoryBlockGetter;
using testing::SkipUnlessFuse;
using testing::TestLink;

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

struct MountedWorld {
  MemoryBlockGetter store;
  DagBuilder dag{store};
  Bytes big = testing::PatternBytes(3 << 20, 5);
  TestLink big_link, root;
  std::vector<TestLink> shard_files;
  resolver::Resolver resolver{store};
  std::unique_ptr<Filesystem> fs;
  std::unique_ptr<FuseMount> mount;
  std::string dir;
  std::string top;  // <dir>/ipfs/<root cid>
  std::atomic<bool> run_returned{false};
  std::thread loop;
  std::thread watchdog;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;

  MountedWorld() {
    DagBuilder::FileOptions o;
    o.chunk = 65536;
    o.max_links = 8;
    big_link = dag.File("big.bin", big, o);
    auto small = dag.File("hello.txt", AsBytes("hello, world\n"), {});
    auto uni = dag.File("ünïcødé 名前.txt", AsBytes("unicode\n"), {});
    auto link = dag.Symlink("link", "hello.txt");
    auto dangling = dag.Symlink("escape", "../../../../etc/passwd");
    for (int i = 0; i < 1000; ++i) {
      std::string n = "entry-" + std::to_string(i);
      shard_files.push_back(dag.File(n, AsBytes(n), {}));
    }
    auto shard = dag.Hamt("shard", shard_files, 256);
    auto secret = dag.File("secret", AsBytes("secret"), {});
    auto inner = dag.Directory("inner", {small});
    std::vector<TestLink> entries = {big_link, dangling, small, inner, link, shard, uni};
    for (std::string bad : {"..", ".", "", "a/b", "../../x"}) entries.push_back(TestLink{bad, secret.cid, 6});
    root = dag.Directory("", entries);

    std::vector<std::unique_ptr<Tree>> trees;
    IpfsTreeOptions to;
    to.pinned_roots = [this] { return std::vector<ipld::Cid>{root.cid}; };
    to.reader.max_window = 1 << 20;
    trees.push_back(std::make_unique<IpfsTree>(resolver, to));
    fs = std::make_unique<Filesystem>(std::move(trees));

    char tmpl[] = "/tmp/ipfsfs-fuse-XXXXXX";
    REQUIRE(mkdtemp(tmpl));
    dir = tmpl;
    top = dir + "/ipfs/" + root.cid.ToString();
    FuseOptions opts;
    opts.mountpoint = dir;
    opts.options = {"default_permissions", "allow_other"};
    auto m = FuseMount::Mount(*fs, opts);
    REQUIRE(m);
    mount = std::move(*m);
    loop = std::thread([this] {
      mount->Run(false);
      run_returned = true;
    });
    watchdog = std::thread([this] {
      std::unique_lock lock(mu);
      if (!cv.wait_for(lock, std::chrono::seconds(120), [this] { return done; })) {
        fprintf(stderr, "watchdog: test hung, aborting the mount\n");
        mount->Stop();
      }
    });
  }

  ~MountedWorld() {
    {
      std::lock_guard lock(mu);
      done = true;
    }
    cv.notify_all();
    watchdog.join();
    mount->Stop();
    if (loop.joinable()) loop.join();
    store.WaitIdle();  // late answers reply into the session and fs: both still alive
    mount.reset();
    fs.reset();
    rmdir(dir.c_str());
  }
};

TEST_CASE("FUSE mount: ls / cat / stat / readlink / xattrs / find through the kernel") {
  testing::SkipUnlessFuse();
  MountedWorld w;
  CHECK(Sh("ls " + w.dir) == "ipfs\n");
  CHECK(Sh("ls " + w.dir + "/ipfs") == w.root.cid.ToString() + "\n");
  CHECK(Sh("ls -a " + w.top) == ".\n..\nbig.bin\nescape\nhello.txt\ninner\nlink\nshard\nünïcødé 名前.txt\n");
  CHECK(Sh("cat " + w.top + "/hello.txt") == "hello, world\n");
  CHECK(Sh("cat \"" + w.top + "/ünïcødé 名前.txt\"") == "unicode\n");
  CHECK(Sh("cat " + w.top + "/link") == "hello, world\n");
  CHECK(Sh("cat " + w.top + "/inner/hello.txt") == "hello, world\n");
  CHECK(Sh("readlink " + w.top + "/escape") == "../../../../etc/passwd\n");
  CHECK(Sh("stat -c %s:%F:%a " + w.top + "/big.bin") == std::to_string(w.big.size()) + ":regular file:444\n");
  CHECK(Sh("stat -c %F:%a " + w.top + "/inner") == "directory:555\n");
  CHECK(Sh("stat -c %i " + w.top + "/hello.txt") == Sh("stat -c %i " + w.top + "/hello.txt"));
  CHECK(Sh("getfattr --absolute-names --only-values -n user.ipfs.cid " + w.top + "/big.bin") == w.big_link.cid.ToString());
  CHECK(Sh("getfattr --absolute-names --only-values -n user.ipfs.codec " + w.top) == "dag-pb");
  {
    // ACLs and security labels are unsupported (ls -l then stops asking per file).
    std::string path = w.top + "/hello.txt";
    char value[64];
    errno = 0;
    CHECK(lgetxattr(path.c_str(), "security.selinux", value, sizeof value) == -1);
    CHECK(errno == ENOTSUP);
    errno = 0;
    CHECK(lgetxattr(path.c_str(), "user.absent", value, sizeof value) == -1);
    CHECK(errno == ENODATA);
  }
  // Another text form of the same CID works as a name too.
  CHECK(Sh("cat " + w.dir + "/ipfs/" + w.root.cid.ToV0()->ToString() + "/hello.txt") == "hello, world\n");
  CHECK(Sh("find " + w.top + " -type f | wc -l") == "1004\n");
  CHECK(Sh("find " + w.top + " -type l | wc -l") == "2\n");
  CHECK(Sh("ls " + w.top + "/shard | wc -l") == "1000\n");
  CHECK(Sh("ls -l " + w.top + "/shard | grep -c ^-r--r--r--") == "1000\n");
  CHECK(Sh("cat " + w.top + "/shard/entry-777") == "entry-777");
  {
    std::string copy = w.dir + ".big";
    FILE* f = fopen(copy.c_str(), "wb");
    REQUIRE(f);
    fwrite(w.big.data(), 1, w.big.size(), f);
    fclose(f);
    CHECK(Sh("cmp " + w.top + "/big.bin " + copy + " && echo same") == "same\n");
    unlink(copy.c_str());
  }
  // Hostile names are invisible and unreachable.
  int status = 0;
  Sh("test -e " + w.top + "/secret", &status);
  CHECK(status != 0);
  CHECK(Sh("ls " + w.dir + "/ipfs/notacid 2>&1 >/dev/null | grep -c \"No such file\"") == "1\n");
}

TEST_CASE("FUSE mount: writes are EROFS") {
  testing::SkipUnlessFuse();
  MountedWorld w;
  CHECK(Sh("touch " + w.top + "/new").find("Read-only file system") != std::string::npos);
  CHECK(Sh("mkdir " + w.top + "/d").find("Read-only file system") != std::string::npos);
  CHECK(Sh("echo x >> " + w.top + "/hello.txt").find("Read-only file system") != std::string::npos);
  CHECK(Sh("rm -f " + w.top + "/hello.txt").find("Read-only file system") != std::string::npos);
  CHECK(Sh("chmod 777 " + w.top + "/hello.txt").find("Read-only file system") != std::string::npos);
  CHECK(Sh("mv " + w.top + "/hello.txt " + w.top + "/h2").find("Read-only file system") != std::string::npos);
  CHECK(Sh("setfattr -n user.x -v 1 " + w.top + "/hello.txt").find("Read-only file system") != std::string::npos);
}

TEST_CASE("FUSE mount: whole and random-offset reads / 32 concurrent readers") {
  testing::SkipUnlessFuse();
  MountedWorld w;
  std::string path = w.top + "/big.bin";
  auto read_at = [&](int fd, uint64_t off, size_t len) {
    Bytes buf(len);
    ssize_t n = pread(fd, buf.data(), len, static_cast<off_t>(off));
    buf.resize(n < 0 ? 0 : static_cast<size_t>(n));
    return buf;
  };
  int fd = open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  CHECK(read_at(fd, 0, w.big.size() + 10) == w.big);
  close(fd);
  // O_DIRECT bypasses the page cache so every read reaches the filesystem.
  fd = open(path.c_str(), O_RDONLY | O_DIRECT);
  REQUIRE(fd >= 0);
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100; ++i) {
    uint64_t off = rng() % w.big.size();
    size_t len = 1 + rng() % 300'000;
    Bytes want(w.big.begin() + off, w.big.begin() + std::min<uint64_t>(w.big.size(), off + len));
    REQUIRE(read_at(fd, off, len) == want);
  }
  close(fd);

  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 32; ++t) {
    readers.emplace_back([&, t] {
      std::mt19937_64 r(t);
      std::string p = t % 2 ? path : w.top + "/shard/entry-" + std::to_string(t * 31);
      int f = open(p.c_str(), O_RDONLY | O_DIRECT);
      if (f < 0) {
        ++bad;
        return;
      }
      for (int i = 0; i < 20; ++i) {
        if (t % 2) {
          uint64_t off = r() % w.big.size();
          size_t len = 1 + r() % 100'000;
          Bytes want(w.big.begin() + off, w.big.begin() + std::min<uint64_t>(w.big.size(), off + len));
          if (read_at(f, off, len) != want) ++bad;
        } else {
          std::string n = "entry-" + std::to_string(t * 31);
          Bytes got = read_at(f, 0, 100);
          if (AsText(got) != n) ++bad;
        }
      }
      close(f);
    });
  }
  for (auto& th : readers) th.join();
  CHECK(bad == 0);
}

TEST_CASE("FUSE mount: a source failing mid-read gives EIO quickly / the mount stays usable") {
  testing::SkipUnlessFuse();
  MountedWorld w;
  std::string path = w.top + "/big.bin";
  auto node = resolver::DecodeNode(*w.store.GetBlocking(w.big_link.cid));
  REQUIRE(node);
  // The second half of the file's first-level children fail (slowly).
  for (size_t i = node->links.size() / 2; i < node->links.size(); ++i) {
    w.store.SetDelay(node->links[i].hash, std::chrono::milliseconds(200));
    w.store.SetFailure(node->links[i].hash, ErrorCode::kUnavailable);
  }
  int fd = open(path.c_str(), O_RDONLY | O_DIRECT);
  REQUIRE(fd >= 0);
  Bytes buf(1 << 20);
  auto start = std::chrono::steady_clock::now();
  ssize_t n = pread(fd, buf.data(), buf.size(), static_cast<off_t>(w.big.size() - 100));
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(n == -1);
  CHECK(errno == EIO);
  CHECK(took < std::chrono::seconds(5));
  n = pread(fd, buf.data(), 4096, 0);
  CHECK(n == 4096);
  CHECK(Bytes(buf.begin(), buf.begin() + 4096) == Bytes(w.big.begin(), w.big.begin() + 4096));
  close(fd);
  CHECK(Sh("cat " + w.top + "/hello.txt") == "hello, world\n");
}

// True while `dir` is a mount point of ours in /proc/self/mountinfo.
bool Mounted(const std::string& dir) {
  return Sh("grep -c \" " + dir + " \" /proc/self/mountinfo") != "0\n";
}

TEST_CASE("FUSE mount: stopping with files open returns promptly") {
  testing::SkipUnlessFuse();
  auto w = std::make_unique<MountedWorld>();
  std::string path = w->top + "/big.bin";
  int fd = open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  char c;
  REQUIRE(read(fd, &c, 1) == 1);
  const std::string dir = w->dir;
  auto start = std::chrono::steady_clock::now();
  w.reset();  // Stop + join while fd is open
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  // The connection is gone, not merely left behind: the open file answers an
  // error at once and nothing is mounted there any more.
  char more[16];
  errno = 0;
  CHECK(pread(fd, more, sizeof(more), 1 << 20) == -1);
  CHECK((errno == ENOTCONN || errno == EIO || errno == ECONNABORTED));
  CHECK_FALSE(Mounted(dir));
  close(fd);
}

TEST_CASE("FUSE mount: stopping while reads wait on slow blocks ends the loop / late replies are dropped") {
  testing::SkipUnlessFuse();
  auto w = std::make_unique<MountedWorld>();
  std::string path = w->top + "/big.bin";
  REQUIRE(Sh("stat -c %s " + path) == std::to_string(w->big.size()) + "\n");
  // Every block from now on answers 300 ms late, from the store's timer thread.
  w->store.SetDelay(std::chrono::milliseconds(300));
  const uint64_t reads_before = w->fs->stats().reads;
  std::atomic<int> returned{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      int fd = open(path.c_str(), O_RDONLY | O_DIRECT);
      if (fd >= 0) {
        Bytes buf(1 << 16);
        (void)pread(fd, buf.data(), buf.size(), static_cast<off_t>(t) << 19);  // inside the 3 MiB file
        close(fd);
      }
      ++returned;
    });
  }
  // Stop only once the reads have reached the filesystem (they are waiting on
  // blocks now); the condition is polled, no timer is raced.
  for (int i = 0; i < 2000 && w->fs->stats().reads < reads_before + 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(w->fs->stats().reads >= reads_before + 4);
  w->mount->Stop();
  w->loop.join();  // Run returned: its loop threads are gone and it closed the session
  CHECK(w->run_returned);
  for (auto& th : readers) th.join();
  CHECK(returned == 4);
  CHECK_FALSE(Mounted(w->dir));
  w->store.WaitIdle();  // the late answers reply into a closed session: dropped
  w.reset();
}

TEST_CASE("FUSE mount: Stop from two threads at once, and again after Run returned") {
  testing::SkipUnlessFuse();
  auto w = std::make_unique<MountedWorld>();
  REQUIRE(Sh("cat " + w->top + "/hello.txt") == "hello, world\n");
  int fd = open((w->top + "/hello.txt").c_str(), O_RDONLY);  // held open across the stop
  REQUIRE(fd >= 0);
  std::thread a([&] { w->mount->Stop(); });
  std::thread b([&] { w->mount->Stop(); });
  a.join();
  b.join();
  w->loop.join();
  CHECK(w->run_returned);
  w->mount->Stop();  // after the session is closed: nothing to do
  CHECK_FALSE(Mounted(w->dir));
  close(fd);
  w.reset();  // the fixture stops once more
}

TEST_CASE("FUSE mount: a mount whose Run never ran is unmounted by its destructor") {
  testing::SkipUnlessFuse();
  MemoryBlockGetter store;
  resolver::Resolver resolver{store};
  std::vector<std::unique_ptr<Tree>> trees;
  trees.push_back(std::make_unique<IpfsTree>(resolver));
  Filesystem fs(std::move(trees));
  char tmpl[] = "/tmp/ipfsfs-fuse-XXXXXX";
  REQUIRE(mkdtemp(tmpl));
  std::string dir = tmpl;
  FuseOptions opts;
  opts.mountpoint = dir;
  auto m = FuseMount::Mount(fs, opts);
  REQUIRE(m);
  CHECK(Mounted(dir));
  (*m)->Stop();
  m->reset();
  CHECK_FALSE(Mounted(dir));
  rmdir(dir.c_str());
}

TEST_CASE("FUSE mount: a tree answering reads with descriptor ranges / writes reach a writable tree") {
  testing::SkipUnlessFuse();
  char local_tmpl[] = "/tmp/ipfsfs-local-XXXXXX";
  REQUIRE(mkdtemp(local_tmpl));
  std::string local = local_tmpl;
  std::string text;
  for (int i = 0; i < 20000; ++i) text += std::to_string(i) + "\n";  // ~110 KiB: several reads
  {
    FILE* f = fopen((local + "/data.txt").c_str(), "w");
    REQUIRE(f);
    fputs(text.c_str(), f);
    fclose(f);
  }
  MemoryBlockGetter store;
  resolver::Resolver resolver{store};
  std::vector<std::unique_ptr<Tree>> trees;
  trees.push_back(std::make_unique<IpfsTree>(resolver));
  trees.push_back(std::make_unique<testing::LocalTree>(local));
  Filesystem fs(std::move(trees));
  char tmpl[] = "/tmp/ipfsfs-fuse-XXXXXX";
  REQUIRE(mkdtemp(tmpl));
  std::string dir = tmpl;
  FuseOptions opts;
  opts.mountpoint = dir;
  auto m = FuseMount::Mount(fs, opts);
  REQUIRE(m);
  std::thread loop([&] { (*m)->Run(false); });

  CHECK(Sh("ls " + dir) == "ipfs\nlocal\n");
  CHECK(Sh("cat " + dir + "/local/data.txt") == text);
  CHECK(Sh("tail -c 6 " + dir + "/local/data.txt") == text.substr(text.size() - 6));
  CHECK(Sh("mkdir " + dir + "/local/made && echo ok") == "ok\n");
  struct stat st {};
  CHECK(stat((local + "/made").c_str(), &st) == 0);
  CHECK(Sh("mkdir " + dir + "/ipfs/x").find("Read-only file system") != std::string::npos);
  CHECK(Sh("mkdir " + dir + "/x").find("Read-only file system") != std::string::npos);

  (*m)->Stop();
  loop.join();
  m->reset();
  rmdir(dir.c_str());
  Sh("rm -rf " + local);
}

}  // namespace
}  // namespace ipfsfs::fs
