// Cold listings through the real `ipfsfs mount` (issue 20): a sharded directory's
// blocks come as one CAR, the children's root blocks with it when they are
// small, and nothing of a large child's contents is fetched for a listing;
// a gateway without CARs and faults mid-CAR give the same listing or EIO,
// never a wrong entry. Requests and bytes are counted at the in-process test
// gateway; nothing is timed.
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "ipld/dag_pb.h"
#include "tests/support/skip.h"
#include "tests/support/test_gateway.h"
#include "tests/writeback/memory_sink.h"
#include "writeback/importer.h"

namespace ipfsfs {
namespace {

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

int TimeoutScale() {
  const char* v = std::getenv("IPFSFS_E2E_TIMEOUT_SCALE");
  int scale = v ? std::atoi(v) : 1;
  return scale > 0 ? scale : 1;
}

// "size name" per entry of `ls -ln DIR`, sorted (modes differ: the mount is read-only).
std::string SizesAndNames(const std::string& dir, int* status = nullptr) {
  return Sh("set -o pipefail; ls -ln \"" + dir + "\" | tail -n +2 | awk \"{print \\$5, \\$9}\" | LC_ALL=C sort",
            status);
}

std::set<std::string> Lines(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.insert(line);
  return out;
}

// small/: 1500 files of a few bytes; large/: 24 files of 1 MiB. Both shard
// (the threshold is lowered to 1000 bytes so a test corpus stays small).
struct Corpus {
  std::string dir;
  ipld::Cid root, small, large;
  std::map<std::string, Bytes> blocks;  // by CID text
  std::string small_listing, large_listing;
};

const Corpus& TheCorpus() {
  static Corpus c = [] {
    Corpus c;
    char tmpl[] = "/tmp/ipfsfs-listing-XXXXXX";
    REQUIRE(mkdtemp(tmpl));
    c.dir = tmpl;
    std::string src = c.dir + "/corpus";
    std::filesystem::create_directories(src + "/small");
    std::filesystem::create_directories(src + "/large");
    for (int i = 0; i < 1500; ++i) std::ofstream(src + "/small/entry-" + std::to_string(i) + ".txt") << "small " << i;
    for (int i = 0; i < 24; ++i) {
      std::ofstream out(src + "/large/big-file-with-a-longer-name-" + std::to_string(i) + ".bin", std::ios::binary);
      std::string chunk(1 << 16, static_cast<char>('a' + i));
      for (int k = 0; k < 16; ++k) {
        chunk[0] = static_cast<char>(k);  // distinct leaves
        out << chunk;
      }
    }
    writeback::ImportOptions o;
    o.hamt_threshold = 1000;
    testing::MemorySink sink;
    auto importer = writeback::Importer::Create(o, sink);
    REQUIRE(importer);
    std::map<std::string, ipld::Cid> by_path;
    auto roots = (*importer)->AddPaths({src}, true, [&](const writeback::AddedEntry& e) { by_path[e.path] = e.cid; });
    REQUIRE(roots);
    c.root = roots->front().cid;
    c.small = by_path.at("corpus/small");
    c.large = by_path.at("corpus/large");
    c.blocks = std::move(sink.blocks);
    c.small_listing = SizesAndNames(src + "/small");
    c.large_listing = SizesAndNames(src + "/large");
    REQUIRE(Lines(c.small_listing).size() == 1500);
    static char dir_to_remove[256];
    snprintf(dir_to_remove, sizeof(dir_to_remove), "%s", c.dir.c_str());
    std::atexit([] { Sh(std::string("rm -rf ") + dir_to_remove); });
    return c;
  }();
  return c;
}

const Bytes& BlockOf(const ipld::Cid& cid) { return TheCorpus().blocks.at(cid.ToString()); }

// The blocks a listing of sharded directory `dir` needs: its shards and its
// entries' root blocks (bytes of each, and the shards' CIDs).
void ListingBlocks(const ipld::Cid& dir, uint64_t& bytes, std::vector<ipld::Cid>& shards) {
  const Bytes& data = BlockOf(dir);
  bytes += data.size();
  shards.push_back(dir);
  auto node = ipld::DecodePbNode(data);
  REQUIRE(node);
  for (const auto& link : node->links) {
    REQUIRE(link.name);
    if (link.name->size() <= 2) {
      ListingBlocks(link.hash, bytes, shards);
    } else {
      bytes += BlockOf(link.hash).size();
    }
  }
}

struct ListingMount {
  std::unique_ptr<testing::TestGateway> gateway;
  std::string mnt, cache, top;
  int pid = 0;

  explicit ListingMount(testing::TestGatewayOptions go = {}) {
    testing::SkipUnlessFuse();
    const Corpus& c = TheCorpus();
    auto gw = testing::TestGateway::Start(go);
    REQUIRE(gw);
    gateway = std::move(*gw);
    for (const auto& [text, data] : c.blocks) gateway->AddBlock(*ipld::Cid::Parse(text), data);
    char tmpl[] = "/tmp/ipfsfs-listing-mnt-XXXXXX";
    REQUIRE(mkdtemp(tmpl));
    mnt = tmpl;
    cache = mnt + ".cache";
    std::ofstream(mnt + ".json") << R"({"fetch_timeout": ")" << 3 * TimeoutScale() << R"(s", "request_timeout": ")"
                                 << TimeoutScale() << R"(s"})";
    std::string out = Sh(std::string(IPFSFS_BINARY) + " mount --gateway " + gateway->url() + " --cache-dir " + cache +
                         " --config " + mnt + ".json --log-file " + mnt + ".log " + mnt);
    INFO(out);
    REQUIRE(out.empty());
    top = mnt + "/ipfs/" + c.root.ToString();
    auto status = nlohmann::json::parse(Sh(std::string(IPFSFS_BINARY) + " status --json " + mnt), nullptr, false);
    REQUIRE(!status.is_discarded());
    pid = status["pid"].get<int>();
  }
  ~ListingMount() {
    Sh(std::string(IPFSFS_BINARY) + " umount " + mnt + " || " + IPFSFS_BINARY + " umount -z " + mnt);
    for (int i = 0; i < 100 && pid > 0 && kill(pid, 0) == 0; ++i) usleep(50'000);
    if (pid > 0 && kill(pid, 0) == 0) kill(pid, SIGKILL);
    rmdir(mnt.c_str());
    Sh("rm -rf " + cache + " " + mnt + ".json " + mnt + ".log");
  }
  // Until no fetch is in flight (the tail of background warming).
  void Settle() {
    for (int i = 0; i < 600; ++i) {
      auto s = nlohmann::json::parse(Sh(std::string(IPFSFS_BINARY) + " status --json " + mnt), nullptr, false);
      if (!s.is_discarded() && s["in_flight_fetches"] == 0) return;
      usleep(50'000);
    }
  }
};

TEST_CASE("cold ls -l of a sharded directory of small files: one CAR brings its shards and children") {
  ListingMount m;
  const Corpus& c = TheCorpus();
  REQUIRE(Sh("stat -c %F " + m.top + "/small") == "directory\n");  // the top and small/'s root block
  m.gateway->ResetCounts();
  CHECK(SizesAndNames(m.top + "/small") == c.small_listing);
  m.Settle();
  // One CAR for the whole directory: no shard and no child asked for alone.
  CHECK(m.gateway->TotalRequests() == 1);
  CHECK(m.gateway->RequestCount(c.small) == 1);
  // find and a second ls -l are served from the cache.
  m.gateway->ResetCounts();
  CHECK(Lines(Sh("find " + m.top + "/small -type f")).size() == 1500);
  CHECK(SizesAndNames(m.top + "/small") == c.small_listing);
  CHECK(m.gateway->TotalRequests() == 0);
}

TEST_CASE("cold ls -l of a sharded directory of large files fetches its shards and children's roots, no contents") {
  ListingMount m;
  const Corpus& c = TheCorpus();
  uint64_t need = 0;
  std::vector<ipld::Cid> shards;
  ListingBlocks(c.large, need, shards);
  auto top = ipld::DecodePbNode(BlockOf(c.large));
  REQUIRE(top);
  bool sharded = false;  // a shard's entries are named "XX" + the name
  for (const auto& link : top->links) sharded = sharded || link.name->substr(2).rfind("big-file", 0) == 0;
  REQUIRE(sharded);
  REQUIRE(Sh("stat -c %F " + m.top + "/large") == "directory\n");
  need -= BlockOf(c.large).size();  // cached by the stat
  m.gateway->ResetCounts();
  CHECK(SizesAndNames(m.top + "/large") == c.large_listing);
  m.Settle();
  uint64_t sent = m.gateway->BytesSent();
  uint64_t requests = m.gateway->TotalRequests();
  INFO("sent " << sent << " bytes in " << requests << " requests; the listing needs " << need << " bytes");
  // Every response carries ~200 bytes of headers; one leaf alone is 64 KiB.
  CHECK(sent <= need + need / 2 + 300 * requests);
  CHECK(requests <= 1 + 24 + shards.size());
}

TEST_CASE("a gateway without CARs gives the same listing, block by block") {
  testing::TestGatewayOptions go;
  go.serve_cars = false;
  ListingMount m(go);
  const Corpus& c = TheCorpus();
  CHECK(SizesAndNames(m.top + "/small") == c.small_listing);
  CHECK(SizesAndNames(m.top + "/large") == c.large_listing);
  CHECK(Lines(Sh("find " + m.top + "/small -type f")).size() == 1500);
}

TEST_CASE("a CAR cut short mid-listing: the rest comes block by block, the same listing") {
  ListingMount m;
  const Corpus& c = TheCorpus();
  REQUIRE(Sh("stat -c %F " + m.top + "/small") == "directory\n");
  // From now on small/'s CAR ends halfway (its block is cached: no raw request needs it).
  m.gateway->SetFault(c.small, testing::Fault::kTruncate);
  m.gateway->ResetCounts();
  CHECK(SizesAndNames(m.top + "/small") == c.small_listing);
  CHECK(m.gateway->RequestCount(c.small) == 1);
}

TEST_CASE(
    "a wrong block in the CAR: no wrong entry, EIO while the gateway keeps sending it, the listing once it stops") {
  ListingMount m;
  const Corpus& c = TheCorpus();
  uint64_t need = 0;
  std::vector<ipld::Cid> shards;
  ListingBlocks(c.small, need, shards);
  REQUIRE(shards.size() > 2);
  const ipld::Cid& bad = shards[shards.size() / 2];  // a sub-shard
  // Set before the lookup: its CAR (the directory's shards, Resolver::GetNodeAhead)
  // would otherwise bring the good block first.
  m.gateway->SetFault(bad, testing::Fault::kWrongBlock);
  REQUIRE(Sh("stat -c %F " + m.top + "/small") == "directory\n");
  int status = 0;
  std::string partial = SizesAndNames(m.top + "/small", &status);
  CHECK(status != 0);
  auto all = Lines(c.small_listing);
  for (const auto& line : Lines(partial)) {
    if (line.rfind("ls:", 0) == 0) continue;  // ls's own error line
    INFO(line);
    CHECK(all.count(line) == 1);
  }
  CHECK(partial.find("Input/output error") != std::string::npos);
  m.gateway->ClearFaults();
  CHECK(SizesAndNames(m.top + "/small") == c.small_listing);
}

}  // namespace
}  // namespace ipfsfs
