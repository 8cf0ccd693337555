// End to end: importer -> CAR -> loopback test gateway -> `ipfsfs mount` (the
// real command, daemonized) -> the kernel -> sha256sum, ls -lR, find, du, tar,
// cp -r, random preads, 32 concurrent readers, a source dying mid-read,
// unmount with files open, hostile link names. Every mount is unmounted
// (lazily, then the daemon killed) by the fixture even when a check fails, and
// a watchdog force-unmounts a hung mount so CI never hangs.
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <string_view>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "ipld/cid.h"
#include "ipld/dag_pb.h"
#include "ipld/unixfs.h"
#include "tests/support/skip.h"
#include "tests/support/test_gateway.h"

namespace ipfsfs {
namespace {

using testing::SkipUnlessFuse;

std::string Sh(const std::string& command, int* status = nullptr) {
  std::string full = "timeout 120 bash -c '" + command + "' 2>&1";
  FILE* p = popen(full.c_str(), "r");
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  if (status) *status = WEXITSTATUS(rc);
  return out;
}

void WriteFile(const std::string& path, size_t size, uint64_t seed) {
  std::ofstream out(path, std::ios::binary);
  std::vector<uint64_t> buf(1 << 17);
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  size_t left = size;
  while (left > 0) {
    for (auto& w : buf) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      w = x;
    }
    size_t n = std::min(left, buf.size() * 8);
    out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(n));
    left -= n;
  }
}

// The mount's timeouts are short so a dead source fails fast; builds that run
// many times slower (ThreadSanitizer: scripts/test.sh sets 5) stretch them by
// IPFSFS_E2E_TIMEOUT_SCALE, or healthy reads would time out into EIO.
int TimeoutScale() {
  const char* v = std::getenv("IPFSFS_E2E_TIMEOUT_SCALE");
  int scale = v ? std::atoi(v) : 1;
  return scale > 0 ? scale : 1;
}

struct Corpus {
  std::string dir;   // work dir
  std::string src;   // the tree that was imported
  std::string root;  // its CID
  std::string car;
};

// Built once per test binary run: a 47 MiB file, a 3000-entry directory
// (sharded by kubo's 256 KiB rule), symlinks, unicode names, empty things.
const Corpus& TheCorpus() {
  static Corpus c = [] {
    Corpus c;
    char tmpl[] = "/tmp/ipfsfs-e2e-XXXXXX";
    REQUIRE(mkdtemp(tmpl));
    c.dir = tmpl;
    c.src = c.dir + "/corpus";
    c.car = c.dir + "/corpus.car";
    Sh("mkdir -p " + c.src + "/big " + c.src + "/many " + c.src + "/nested/a/b/c " + c.src + "/empty-dir " + c.src +
       "/ünï/名前");
    WriteFile(c.src + "/big/large.bin", (47u << 20) + 12345, 1);
    WriteFile(c.src + "/big/medium.bin", (3u << 20) + 1, 2);
    WriteFile(c.src + "/nested/a/b/c/deep.bin", 300'000, 3);
    WriteFile(c.src + "/ünï/名前/ファイル.txt", 1000, 4);
    WriteFile(c.src + "/empty.txt", 0, 5);
    WriteFile(c.src + "/.hidden", 10, 6);
    for (int i = 0; i < 3000; ++i) {
      char name[128];
      snprintf(name, sizeof(name), "/many/a-fairly-long-file-name-so-the-directory-shards-%05d.txt", i);
      std::ofstream(c.src + name) << "file " << i << "\n";
    }
    Sh("cd " + c.src + " && ln -s big/medium.bin link-to-medium && ln -s nested/a link-to-dir && "
       "ln -s /etc/passwd absolute-link && ln -s ../../../../outside relative-escape");
    std::string out = Sh(std::string(IPFSFS_BINARY) + " add -r -H -Q --car " + c.car + " " + c.src);
    c.root = out.substr(0, out.find('\n'));
    REQUIRE(c.root.size() > 40);
    static char dir_to_remove[256];
    snprintf(dir_to_remove, sizeof(dir_to_remove), "%s", c.dir.c_str());
    std::atexit([] { Sh(std::string("rm -rf ") + dir_to_remove); });
    return c;
  }();
  return c;
}

struct E2eMount {
  std::unique_ptr<testing::TestGateway> gateway;
  std::string mnt;
  std::string cache;
  std::string top;  // mnt/ipfs/<root>
  int pid = 0;
  std::thread watchdog;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;

  explicit E2eMount(const std::string& extra = "") {
    const Corpus& c = TheCorpus();
    auto gw = testing::TestGateway::Start();
    REQUIRE(gw);
    gateway = std::move(*gw);
    REQUIRE(gateway->AddCar(c.car));
    char tmpl[] = "/tmp/ipfsfs-e2e-mnt-XXXXXX";
    REQUIRE(mkdtemp(tmpl));
    mnt = tmpl;
    cache = mnt + ".cache";
    std::ofstream(mnt + ".json") << R"({"fetch_timeout": ")" << 3 * TimeoutScale() << R"(s", "request_timeout": ")"
                                 << TimeoutScale() << R"(s"})";
    std::string out = Sh(std::string(IPFSFS_BINARY) + " mount --gateway " + gateway->url() + " --cache-dir " + cache +
                         " --config " + mnt + ".json --log-file " + mnt + ".log " + extra + " " + mnt);
    INFO(out);
    REQUIRE(out.empty());
    top = mnt + "/ipfs/" + c.root;
    auto status = nlohmann::json::parse(Sh(std::string(IPFSFS_BINARY) + " status --json " + mnt), nullptr, false);
    REQUIRE(!status.is_discarded());
    pid = status["pid"].get<int>();
    watchdog = std::thread([this] {
      std::unique_lock lock(mu);
      if (!cv.wait_for(lock, std::chrono::seconds(240), [this] { return done; })) {
        fprintf(stderr, "watchdog: mount hung, forcing it off\n");
        umount2(mnt.c_str(), MNT_FORCE);
        umount2(mnt.c_str(), MNT_DETACH);
      }
    });
  }

  ~E2eMount() {
    {
      std::lock_guard lock(mu);
      done = true;
    }
    cv.notify_all();
    watchdog.join();
    Sh(std::string(IPFSFS_BINARY) + " umount " + mnt + " || " + IPFSFS_BINARY + " umount -z " + mnt);
    for (int i = 0; i < 100 && pid > 0 && kill(pid, 0) == 0; ++i) usleep(50'000);
    if (pid > 0 && kill(pid, 0) == 0) kill(pid, SIGKILL);
    rmdir(mnt.c_str());
    Sh("rm -rf " + cache + " " + mnt + ".json " + mnt + ".log");
  }
};

// Names, types, sizes and link targets, sorted; directory sizes left out.
std::string TreeListing(const std::string& dir) {
  return Sh("cd \"" + dir + "\" && find . \\( -type f -printf \"f %s %p\\n\" \\) -o \\( -type d -printf \"d %p\\n\" \\)"
            " -o \\( -type l -printf \"l %l %p\\n\" \\) | LC_ALL=C sort");
}

std::string Hashes(const std::string& dir) {
  return Sh("cd \"" + dir + "\" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum");
}

TEST_CASE("e2e: every files sha256 / find / ls -lR / du / tar / cp -r through the real mount") {
  SkipUnlessFuse();
  const Corpus& c = TheCorpus();
  E2eMount m;
  std::string want_hashes = Hashes(c.src);
  REQUIRE(want_hashes.find("large.bin") != std::string::npos);
  CHECK(Hashes(m.top) == want_hashes);
  CHECK(TreeListing(m.top) == TreeListing(c.src));
  // The sharded directory really is a HAMT.
  CHECK(Sh("ls " + m.top + "/many | wc -l") == "3000\n");
  // ls -lR: every entry, with sizes; dates and modes are the mount's own.
  std::string lslr = Sh("ls -lR " + m.top + " | grep -c \"^-r--r--r--\"");
  CHECK(lslr == std::to_string(3000 + 5) + "\n");  // ls skips .hidden
  // du -sb: content bytes (directories count 0 here).
  std::string files_and_links =
      Sh("cd " + c.src + " && find . \\( -type f -o -type l \\) -printf \"%s\\n\" | awk \"{s+=\\$1} END {print s}\"");
  CHECK(Sh("du -sb " + m.top + " | cut -f1") == files_and_links);
  // tar c from the mount, unpacked elsewhere, is the corpus.
  std::string untar = m.mnt + ".untar";
  Sh("mkdir -p " + untar + " && tar -C " + m.top + " -cf - . | tar -C " + untar + " -xf -");
  CHECK(Hashes(untar) == want_hashes);
  CHECK(TreeListing(untar) == TreeListing(c.src));
  // cp -r keeps symlinks as symlinks (-P) and copies the rest byte for byte.
  std::string copy = m.mnt + ".copy";
  CHECK(Sh("cp -rP " + m.top + " " + copy + " && diff -r --no-dereference " + copy + " " + c.src + " && echo same") ==
        "same\n");
  Sh("rm -rf " + untar + " " + copy);
  // Extended attributes name what everything is.
  CHECK(Sh("getfattr --absolute-names --only-values -n user.ipfs.cid " + m.top) == c.root);
  auto status = nlohmann::json::parse(Sh(std::string(IPFSFS_BINARY) + " status --json " + m.mnt), nullptr, false);
  REQUIRE_FALSE(status.is_discarded());
  CHECK(status["sources"][0]["name"].get<std::string>().find("127.0.0.1") != std::string::npos);
  CHECK(status["cache"]["blocks"].get<uint64_t>() > 3000);
}

// A read that went wrong, with what it takes to explain it afterwards: where,
// how much was asked and returned, errno, and the first byte that differs.
struct BadRead {
  int reader = 0;
  std::string path;
  uint64_t offset = 0;
  size_t length = 0;
  ssize_t returned = 0;
  int err = 0;           // errno when returned < 0 (or the open failed)
  int64_t diff_at = -1;  // file offset of the first differing byte, -1: none
  int want = 0;
  int got = 0;

  std::string Describe() const {
    std::string out = "reader " + std::to_string(reader) + " " + path + " offset " + std::to_string(offset) +
                      " length " + std::to_string(length) + ": returned " + std::to_string(returned);
    if (returned < 0) out += ", errno " + std::to_string(err) + " (" + strerror(err) + ")";
    if (diff_at >= 0) {
      out += ", first differing byte at " + std::to_string(diff_at) + ": expected " + std::to_string(want) +
             ", got " + std::to_string(got);
    }
    return out;
  }
};

// Compares one read's result with `want` (the bytes from `offset` on); false
// and `bad` filled in when it is short, failed or differs.
bool CheckRead(const char* buf, ssize_t n, int err, std::string_view want, uint64_t offset, size_t length,
               BadRead& bad) {
  size_t expect = std::min(length, want.size());
  bad.offset = offset;
  bad.length = length;
  bad.returned = n;
  bad.err = n < 0 ? err : 0;
  size_t common = n > 0 ? std::min(static_cast<size_t>(n), expect) : 0;
  for (size_t i = 0; i < common; ++i) {
    if (buf[i] != want[i]) {
      bad.diff_at = static_cast<int64_t>(offset + i);
      bad.want = static_cast<unsigned char>(want[i]);
      bad.got = static_cast<unsigned char>(buf[i]);
      return false;
    }
  }
  return n == static_cast<ssize_t>(expect);
}

TEST_CASE("e2e: random-offset reads and 32 concurrent readers") {
  SkipUnlessFuse();
  const Corpus& c = TheCorpus();
  E2eMount m;
  std::ifstream local(c.src + "/big/large.bin", std::ios::binary);
  std::string want((std::istreambuf_iterator<char>(local)), std::istreambuf_iterator<char>());
  REQUIRE(want.size() == (47u << 20) + 12345);
  std::string path = m.top + "/big/large.bin";
  std::mutex bad_mu;
  std::vector<BadRead> bad;  // GUARDED_BY(bad_mu); Catch2 v2 assertions are not thread-safe
  std::atomic<int> reads{0};
  auto record = [&](BadRead b) {
    std::lock_guard lock(bad_mu);
    bad.push_back(std::move(b));
  };
  std::vector<std::thread> readers;
  for (int t = 0; t < 32; ++t) {
    readers.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      if (t % 4 == 3) {  // some read small files of the sharded directory
        for (int i = 0; i < 20; ++i) {
          int k = static_cast<int>(rng() % 3000);
          char name[128];
          snprintf(name, sizeof(name), "/many/a-fairly-long-file-name-so-the-directory-shards-%05d.txt", k);
          std::string small = m.top + name;
          std::string expect = "file " + std::to_string(k) + "\n";
          BadRead b{.reader = t, .path = small};
          int fd = open(small.c_str(), O_RDONLY);
          if (fd < 0) {
            b.returned = -1;
            b.err = errno;
            b.length = 64;
            record(std::move(b));
            continue;
          }
          char buf[64];
          ssize_t n = pread(fd, buf, sizeof(buf), 0);
          int err = errno;
          close(fd);
          ++reads;
          if (!CheckRead(buf, n, err, expect, 0, sizeof(buf), b)) record(std::move(b));
        }
        return;
      }
      bool direct = t % 2;
      int fd = open(path.c_str(), O_RDONLY | (direct ? O_DIRECT : 0));
      if (fd < 0) {
        record(BadRead{.reader = t, .path = path, .returned = -1, .err = errno});
        return;
      }
      // O_DIRECT wants an aligned buffer as well as aligned offsets.
      char* buf = static_cast<char*>(std::aligned_alloc(4096, 1 << 20));
      for (int i = 0; i < 25; ++i) {
        uint64_t off = rng() % want.size();
        size_t len = 1 + rng() % (1 << 20);
        if (direct) off &= ~uint64_t{4095};
        ssize_t n = pread(fd, buf, len, static_cast<off_t>(off));
        int err = errno;
        ++reads;
        BadRead b{.reader = t, .path = path + (direct ? " (O_DIRECT)" : "")};
        if (!CheckRead(buf, n, err, std::string_view(want).substr(off), off, len, b)) record(std::move(b));
      }
      std::free(buf);
      close(fd);
    });
  }
  for (auto& th : readers) th.join();
  INFO(reads.load() << " reads");
  for (const auto& b : bad) FAIL_CHECK(b.Describe());
  CHECK(bad.empty());
}

TEST_CASE("e2e: a long sequential read takes the rest of the file as a ranged CAR, not block by block") {
  SkipUnlessFuse();
  const Corpus& c = TheCorpus();
  E2eMount m;
  std::string path = m.top + "/big/large.bin";
  Sh("stat " + path);  // the file's root and directory blocks first
  m.gateway->ResetCounts();
  CHECK(Sh("dd if=" + path + " bs=1M status=none | sha256sum | cut -c1-64") ==
        Sh("sha256sum " + c.src + "/big/large.bin | cut -c1-64"));
  // 188 leaves of 256 KiB: block by block that is 188+ requests. The first
  // window's worth goes block by block, the rest comes in one CAR.
  uint64_t requests = m.gateway->TotalRequests();
  INFO("gateway requests while reading 47 MiB: " << requests);
  CHECK(requests < 100);
  CHECK(requests > 0);
}

TEST_CASE("e2e: a cold cat of a small file makes one request: its lookup brings its first bytes") {
  SkipUnlessFuse();
  const Corpus& c = TheCorpus();
  E2eMount m;
  std::string dir = m.top + "/nested/a/b/c";
  Sh("stat " + dir);  // the directories first: one request each
  m.gateway->ResetCounts();
  // 300000 bytes: a root and two leaves, in the CAR its lookup asks for.
  CHECK(Sh("cat " + dir + "/deep.bin | sha256sum | cut -c1-64") ==
        Sh("sha256sum " + c.src + "/nested/a/b/c/deep.bin | cut -c1-64"));
  CHECK(m.gateway->TotalRequests() == 1);
}

TEST_CASE("e2e: a source dying mid-read gives EIO in bounded time / unmount with files open") {
  SkipUnlessFuse();
  const Corpus& c = TheCorpus();
  E2eMount m;
  std::string path = m.top + "/big/large.bin";
  int fd = open(path.c_str(), O_RDONLY | O_DIRECT);
  REQUIRE(fd >= 0);
  std::vector<char> buf(1 << 20);
  REQUIRE(pread(fd, buf.data(), buf.size(), 0) == static_cast<ssize_t>(buf.size()));
  m.gateway->SetFault(testing::Fault::kStall);
  auto start = std::chrono::steady_clock::now();
  ssize_t n = pread(fd, buf.data(), buf.size(), 40 << 20);
  int err = errno;
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  CHECK(n == -1);
  CHECK(err == EIO);
  CHECK(took < std::chrono::seconds(10 * TimeoutScale()));  // fetch_timeout is 3 s (times the scale)
  m.gateway->ClearFaults();
  // The mount still serves, including the part that failed.
  REQUIRE(pread(fd, buf.data(), buf.size(), 40 << 20) == static_cast<ssize_t>(buf.size()));
  std::ifstream local(c.src + "/big/large.bin", std::ios::binary);
  std::vector<char> want(buf.size());
  local.seekg(40 << 20);
  local.read(want.data(), static_cast<std::streamsize>(want.size()));
  CHECK(std::memcmp(buf.data(), want.data(), buf.size()) == 0);
  // A log line names the file's CID (the log must exist and the CID be known:
  // a missing log or an empty name must fail here, not match nothing).
  std::string file_cid = Sh("getfattr --absolute-names --only-values -n user.ipfs.cid " + path);
  REQUIRE(ipld::Cid::Parse(file_cid));
  std::ifstream log(m.mnt + ".log");
  REQUIRE(log.is_open());
  int naming = 0;
  for (std::string line; std::getline(log, line);) naming += line.find(file_cid) != std::string::npos;
  INFO("log lines naming " << file_cid);
  CHECK(naming >= 1);

  // Unmount while the file is open: plain umount refuses, --lazy detaches,
  // and the daemon exits once the file is closed.
  int status = 0;
  std::string out = Sh(std::string(IPFSFS_BINARY) + " umount " + m.mnt, &status);
  CHECK(status == 1);
  CHECK(out.find("busy") != std::string::npos);
  Sh(std::string(IPFSFS_BINARY) + " umount --lazy " + m.mnt, &status);
  CHECK(status == 0);
  CHECK(kill(m.pid, 0) == 0);
  close(fd);
  bool exited = false;
  for (int i = 0; i < 100 && !exited; ++i) {
    exited = kill(m.pid, 0) != 0;
    usleep(50'000);
  }
  CHECK(exited);
}

TEST_CASE("e2e: hostile link names expose nothing outside their directory") {
  SkipUnlessFuse();
  E2eMount m;
  // A directory whose links are named to escape it, all pointing at "secret".
  auto put = [&](Bytes block, ipld::Codec codec) {
    ipld::Cid cid = ipld::Cid::V1(codec, ipld::Multihash::Sha256(block));
    m.gateway->AddBlock(cid, std::move(block));
    return cid;
  };
  ipld::Cid secret = put(ToBytes("secret!"), ipld::Codec::kRaw);
  ipld::PbNode dir;
  for (std::string name : {std::string(".."), std::string("."), std::string(""), std::string("../../etc/passwd"),
                           std::string("a/b"), std::string("x\0y", 3), std::string("/")}) {
    dir.links.push_back(ipld::PbLink{secret, name, 7});
  }
  dir.links.push_back(ipld::PbLink{secret, std::string("fine"), 7});
  ipld::UnixfsData d;
  d.type = ipld::UnixfsType::kDirectory;
  dir.data = ipld::EncodeUnixfsData(d);
  ipld::Cid hostile = put(ipld::EncodePbNode(dir), ipld::Codec::kDagPb);
  std::string top = m.mnt + "/ipfs/" + hostile.ToString();
  CHECK(Sh("ls -a " + top) == ".\n..\nfine\n");
  CHECK(Sh("find " + top + " | wc -l") == "2\n");
  CHECK(Sh("cat " + top + "/fine") == "secret!");
  CHECK(Sh("cat " + top + "/a/b 2>&1 | grep -c \"No such file\"") == "1\n");
}

}  // namespace
}  // namespace ipfsfs

namespace ipfsfs {
namespace {

TEST_CASE("e2e: fstab helper with -o twins / clear errors for missing and busy mountpoints") {
  SkipUnlessFuse();
  const Corpus& c = TheCorpus();
  auto gw = testing::TestGateway::Start();
  REQUIRE(gw);
  REQUIRE((*gw)->AddCar(c.car));
  char tmpl[] = "/tmp/ipfsfs-e2e-fstab-XXXXXX";
  REQUIRE(mkdtemp(tmpl));
  std::string mnt = tmpl;
  std::string bin = IPFSFS_BINARY;
  // What mount(8) runs for "ipfsfs MNT fuse.ipfsfs defaults,_netdev,... 0 0".
  int status = 0;
  std::string out = Sh(std::string(IPFSFS_MOUNT_HELPER) + " ipfsfs " + mnt +
                           " -o defaults,_netdev,nofail,allow_other,gateway=" + (*gw)->url() + ",cache_dir=" + mnt +
                           ".cache,uid=1234,gid=99,file_mode=0640,dir_mode=0750,attr_timeout=10s,log_file=" + mnt +
                           ".log",
                       &status);
  CHECK(out.empty());
  CHECK(status == 0);
  std::string top = mnt + "/ipfs/" + c.root;
  CHECK(Sh("stat -c %u:%g:%a " + top + "/empty.txt") == "1234:99:640\n");
  CHECK(Sh("stat -c %u:%g:%a " + top + "/big") == "1234:99:750\n");
  CHECK(Sh("grep \" " + mnt + " \" /proc/mounts | grep -c allow_other") == "1\n");
  // A second mount on the same place is refused with a reason.
  out = Sh(bin + " mount --gateway " + (*gw)->url() + " --cache-dir " + mnt + ".cache2 " + mnt, &status);
  CHECK(status == 1);
  CHECK(out.find("busy") != std::string::npos);
  Sh(bin + " umount " + mnt, &status);
  CHECK(status == 0);
  out = Sh(bin + " mount " + mnt + "/does-not-exist", &status);
  CHECK(status == 1);
  CHECK(out.find("does not exist") != std::string::npos);
  out = Sh(bin + " umount " + mnt, &status);
  CHECK(status == 1);
  CHECK(out.find("not mounted") != std::string::npos);
  Sh("umount -l " + mnt + " 2>/dev/null; rm -rf " + mnt + " " + mnt + ".cache " + mnt + ".cache2 " + mnt + ".log");
}

}  // namespace
}  // namespace ipfsfs
