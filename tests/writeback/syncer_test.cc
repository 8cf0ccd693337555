// Syncer over a temp directory with the memory state and sink: the CIDs of the
// importer, reuse without reads, options changes, errors naming the path,
// atomic commits, the RocksDB state across reopen.
#include "writeback/syncer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>

#include "tests/writeback/memory_sink.h"
#include "writeback/importer.h"

namespace ipfsfs::writeback {
namespace {
namespace fs = std::filesystem;

struct Dir {
  Dir() {
    char tmpl[] = "/tmp/ipfsfs-sync-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~Dir() { fs::remove_all(path); }
  void Write(const std::string& rel, const std::string& bytes) const {
    fs::create_directories(fs::path(path + "/" + rel).parent_path());
    std::ofstream(path + "/" + rel, std::ios::binary | std::ios::trunc) << bytes;
  }
  std::string path;
};

// The tree `ipfs add -r --hidden` would make: the importer's root.
ipld::Cid Reference(const std::string& dir, ImportOptions o = {}) {
  o.hidden = true;
  NullSink sink;
  auto importer = Importer::Create(o, sink);
  REQUIRE(importer);
  auto roots = (*importer)->AddPaths({dir}, true, nullptr);
  INFO((roots ? "" : roots.error().message));
  REQUIRE(roots);
  return roots->back().cid;
}

void Corpus(const Dir& d) {
  d.Write("a.txt", "alpha");
  d.Write(".hidden", "dot");
  d.Write("sub/b.txt", "bravo");
  d.Write("sub/deep/c.txt", std::string(300000, 'c'));  // two chunks
  d.Write("sub/empty", "");
  d.Write("other/d.txt", "delta");
  fs::create_directories(d.path + "/emptydir");
  fs::create_symlink("sub/b.txt", d.path + "/link");
}

// Counts the files opened for reading (the seam), by path relative to the root.
struct Reads {
  explicit Reads(const std::string& root) : root(root) {
    hooks.before_read = [this](const std::string& p) { paths.insert(p.substr(this->root.size() + 1)); };
  }
  std::string root;
  std::multiset<std::string> paths;
  SyncHooks hooks;
};

// A clock long past every file's times: no read is retried for a write in
// its tick and no entry is racy, so the counts below are exact.
int64_t Later() { return std::numeric_limits<int64_t>::max() / 2; }
const SyncerOptions kNoRacy{.racy_window_ns = -1, .now = Later};

TEST_CASE("sync: the root is the importer's (dotfiles, symlinks, empty dirs)", "[sync]") {
  Dir d;
  Corpus(d);
  MemorySyncState state;
  Syncer syncer(state, kNoRacy);
  testing::MemorySink sink;
  auto r = syncer.Sync(d.path, ImportOptions{}, sink);
  INFO((r ? "" : r.error().message));
  REQUIRE(r);
  CHECK(r->root == Reference(d.path));
  CHECK(sink.roots == std::vector<ipld::Cid>{r->root});
  CHECK(r->changed);
  CHECK(r->stats.files_read == 7);  // 6 files and the symlink
  CHECK(state.Root() == r->root);
  CHECK(state.Lookup("") == r->root);
  CHECK(state.Lookup("sub/b.txt").has_value());
  CHECK(sink.blocks.count(r->root.ToString()) == 1);
}

TEST_CASE("sync: unchanged files are not read, one change rebuilds only its parent chain", "[sync]") {
  Dir d;
  Corpus(d);
  MemorySyncState state;
  Syncer syncer(state, kNoRacy);
  Reads reads(d.path);
  testing::MemorySink sink1;
  auto first = syncer.Sync(d.path, ImportOptions{}, sink1, reads.hooks);
  REQUIRE(first);
  CHECK(reads.paths.size() == 6);  // regular files only go through the read seam

  reads.paths.clear();
  testing::MemorySink sink2;
  auto again = syncer.Sync(d.path, ImportOptions{}, sink2, reads.hooks);
  REQUIRE(again);
  CHECK(again->root == first->root);
  CHECK_FALSE(again->changed);
  CHECK(reads.paths.empty());
  CHECK(again->stats.files_read == 0);
  CHECK(again->stats.files_reused == 7);
  CHECK(again->stats.dirs_built == 0);
  CHECK(again->stats.dirs_reused == 5);
  CHECK(sink2.puts == 0);

  auto other_before = state.Lookup("other");
  d.Write("sub/deep/c.txt", "changed");
  testing::MemorySink sink3;
  auto changed = syncer.Sync(d.path, ImportOptions{}, sink3, reads.hooks);
  REQUIRE(changed);
  CHECK(reads.paths == std::multiset<std::string>{"sub/deep/c.txt"});
  CHECK(changed->stats.dirs_built == 3);   // sub/deep, sub, the root
  CHECK(changed->stats.dirs_reused == 2);  // other, emptydir
  CHECK(state.Lookup("other") == other_before);
  CHECK(changed->root == Reference(d.path));
  CHECK(changed->root != first->root);
  // Only the new file and the three directories were stored.
  CHECK(sink3.puts == 4);

  // Removing and adding entries.
  fs::remove(d.path + "/a.txt");
  d.Write("new/e.txt", "echo");
  testing::MemorySink sink4;
  auto moved = syncer.Sync(d.path, ImportOptions{}, sink4);
  REQUIRE(moved);
  CHECK(moved->root == Reference(d.path));
  CHECK_FALSE(state.Lookup("a.txt").has_value());
  CHECK(state.Lookup("new/e.txt").has_value());
}

TEST_CASE("sync: a file changed within the clock tick of its read is read again", "[sync]") {
  Dir d;
  d.Write("f", "x");
  MemorySyncState state;
  struct stat st;
  REQUIRE(::stat((d.path + "/f").c_str(), &st) == 0);
  // A clock just past the file's change: its read is sound, but within the window.
  const int64_t changed = int64_t{st.st_ctim.tv_sec} * 1'000'000'000 + st.st_ctim.tv_nsec;
  Syncer syncer(
      state, SyncerOptions{.racy_window_ns = int64_t{3600} * 1'000'000'000, .now = [changed] { return changed + 1; }});
  Reads reads(d.path);
  testing::MemorySink sink;
  REQUIRE(syncer.Sync(d.path, ImportOptions{}, sink, reads.hooks));
  REQUIRE(syncer.Sync(d.path, ImportOptions{}, sink, reads.hooks));
  CHECK(reads.paths.count("f") == 2);
}

TEST_CASE("sync: other import options make every entry unknown", "[sync]") {
  Dir d;
  Corpus(d);
  MemorySyncState state;
  Syncer syncer(state, kNoRacy);
  testing::MemorySink sink;
  auto v0 = syncer.Sync(d.path, ImportOptions{}, sink);
  REQUIRE(v0);
  ImportOptions v1;
  v1.cid_version = 1;
  Reads reads(d.path);
  auto r1 = syncer.Sync(d.path, v1, sink, reads.hooks);
  REQUIRE(r1);
  CHECK(reads.paths.size() == 6);
  CHECK(r1->root == Reference(d.path, v1));
  CHECK(r1->root != v0->root);
  ImportOptions trickle;
  trickle.layout = Layout::kTrickle;
  auto r2 = syncer.Sync(d.path, trickle, sink);
  REQUIRE(r2);
  CHECK(r2->root == Reference(d.path, trickle));
  CHECK(OptionsFingerprint(ImportOptions{}) != OptionsFingerprint(trickle));
}

TEST_CASE("sync: errors name the path and publish nothing", "[sync]") {
  Dir d;
  Corpus(d);
  MemorySyncState state;
  Syncer syncer(state, kNoRacy);
  testing::MemorySink sink;
  auto first = syncer.Sync(d.path, ImportOptions{}, sink);
  REQUIRE(first);

  SECTION("a special file") {
    REQUIRE(::mkfifo((d.path + "/sub/pipe").c_str(), 0600) == 0);
    testing::MemorySink s;
    auto r = syncer.Sync(d.path, ImportOptions{}, s);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == d.path + "/sub/pipe: a fifo cannot be synced");
    CHECK(s.roots.empty());
  }
  SECTION("a name that is not UTF-8") {
    d.Write("bad\xff", "x");
    testing::MemorySink s;
    auto r = syncer.Sync(d.path, ImportOptions{}, s);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == d.path + "/bad\xff: the name is not UTF-8; UnixFS paths cannot hold it");
  }
  SECTION("a file that vanishes during the sync") {
    d.Write("sub/b.txt", "changed so it is read");
    SyncHooks hooks;
    hooks.before_read = [&](const std::string& p) {
      if (p == d.path + "/sub/b.txt") fs::remove(p);
    };
    testing::MemorySink s;
    auto r = syncer.Sync(d.path, ImportOptions{}, s, hooks);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kNotFound);
    CHECK(r.error().message == d.path + "/sub/b.txt: vanished during the sync");
  }
  SECTION("the sink fails (disk full) midway") {
    d.Write("sub/deep/c.txt", std::string(600000, 'z'));
    struct FullSink : testing::MemorySink {
      using BlockSink::Put;
      Status Put(const ipld::Cid& cid, std::span<const ByteSpan> parts) override {
        if (puts >= 1) return MakeError(ErrorCode::kUnavailable, "No space left on device");
        return MemorySink::Put(cid, parts);
      }
    } full;
    auto r = syncer.Sync(d.path, ImportOptions{}, full);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find(d.path + "/sub/deep/c.txt: ") == 0);
    CHECK(r.error().message.find("No space left on device") != std::string::npos);
    CHECK(full.roots.empty());
  }
  // The previous root and index stand; a clean re-run gives the reference.
  CHECK(state.Root() == first->root);
  CHECK(state.commits == 1);
  std::error_code ec;
  fs::remove(d.path + "/sub/pipe", ec);
  fs::remove(d.path + "/bad\xff", ec);
  testing::MemorySink s;
  auto again = syncer.Sync(d.path, ImportOptions{}, s);
  REQUIRE(again);
  CHECK(again->root == Reference(d.path));
}

TEST_CASE("sync: a file that changes under every read is deferred, never torn", "[sync]") {
  Dir d;
  Corpus(d);
  MemorySyncState state;
  Syncer syncer(state, SyncerOptions{.racy_window_ns = -1, .read_attempts = 2, .use_clone = false, .now = Later});
  testing::MemorySink sink;
  auto first = syncer.Sync(d.path, ImportOptions{}, sink);
  REQUIRE(first);
  d.Write("a.txt", "alpha 2");
  d.Write("fresh.txt", "new");
  // The progress hook runs after a file's read and before its re-check: a
  // writer appending there races every read, deterministically.
  const auto a_before = state.Lookup("a.txt");
  SyncHooks hooks;
  hooks.progress = [&](const SyncStats&) {
    std::ofstream(d.path + "/a.txt", std::ios::app) << "+";
    std::ofstream(d.path + "/fresh.txt", std::ios::app) << "+";
  };
  testing::MemorySink s2;
  auto r = syncer.Sync(d.path, ImportOptions{}, s2, hooks);
  REQUIRE(r);
  CHECK(r->deferred == std::vector<std::string>{"a.txt", "fresh.txt"});
  // a.txt keeps its previous CID, fresh.txt waits for the next sync.
  CHECK(state.Lookup("a.txt") == a_before);
  CHECK(r->stats.deferred == 2);
  CHECK_FALSE(state.Lookup("fresh.txt").has_value());
  // Once the writer stops, the next sync takes both whole.
  testing::MemorySink s3;
  auto next = syncer.Sync(d.path, ImportOptions{}, s3);
  REQUIRE(next);
  CHECK(next->deferred.empty());
  CHECK(next->root == Reference(d.path));
}

TEST_CASE("sync: the RocksDB state survives a reopen and commits atomically", "[sync]") {
  Dir d;
  Corpus(d);
  Dir state_dir;
  ipld::Cid root;
  {
    auto state = OpenRocksSyncState(state_dir.path + "/db");
    REQUIRE(state);
    Syncer syncer(**state, kNoRacy);
    testing::MemorySink sink;
    auto r = syncer.Sync(d.path, ImportOptions{}, sink);
    REQUIRE(r);
    root = r->root;
  }
  {
    auto state = OpenRocksSyncState(state_dir.path + "/db");
    REQUIRE(state);
    CHECK((*state)->Root() == root);
    CHECK((*state)->Lookup("sub/deep/c.txt").has_value());
    Syncer syncer(**state, kNoRacy);
    Reads reads(d.path);
    testing::MemorySink sink;
    auto r = syncer.Sync(d.path, ImportOptions{}, sink, reads.hooks);
    REQUIRE(r);
    CHECK(reads.paths.empty());
    CHECK(r->root == root);
    // A removed file leaves the persisted index too.
    fs::remove(d.path + "/other/d.txt");
    REQUIRE(syncer.Sync(d.path, ImportOptions{}, sink));
    REQUIRE((*state)->ClearIndex());
    CHECK_FALSE((*state)->Lookup("a.txt").has_value());
    CHECK((*state)->Root().has_value());
  }
  {
    auto state = OpenRocksSyncState(state_dir.path + "/db");
    REQUIRE(state);
    CHECK_FALSE((*state)->Lookup("a.txt").has_value());
    CHECK_FALSE((*state)->Lookup("other/d.txt").has_value());
    CHECK((*state)->Root() == Reference(d.path));
    auto second = OpenRocksSyncState(state_dir.path + "/db");
    CHECK_FALSE(second);  // one holder at a time
  }
}

TEST_CASE("sync: entry codec round trip", "[sync]") {
  SyncEntry e;
  e.size = 123456789;
  e.mtime_ns = -5;
  e.ctime_ns = 1700000000123456789;
  e.ino = 42;
  e.mode = S_IFREG | 0644;
  e.cid = *ipld::Cid::Parse("QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n");
  e.tsize = 99;
  e.digest = std::string("\0\x01x", 3);
  e.racy = true;
  auto back = DecodeSyncEntry(EncodeSyncEntry(e));
  REQUIRE(back);
  CHECK(*back == e);
  CHECK_FALSE(DecodeSyncEntry("\x01short"));
}

}  // namespace
}  // namespace ipfsfs::writeback

namespace ipfsfs::writeback {
namespace {

TEST_CASE("sync: a scope syncs one subtree and keeps the rest as last recorded", "[sync]") {
  Dir d;
  Corpus(d);
  MemorySyncState state;
  Syncer syncer(state, kNoRacy);
  testing::MemorySink sink;
  Reads reads(d.path);
  // Without a previous sync a scope is a whole sync.
  auto first = syncer.Sync(d.path, ImportOptions{}, sink, reads.hooks, "sub");
  REQUIRE(first);
  CHECK(first->root == Reference(d.path));
  CHECK(reads.paths.size() == 6);

  d.Write("sub/b.txt", "bravo 2");
  d.Write("other/d.txt", "delta 2");  // outside the scope: not this time
  d.Write("sub/deep/new.txt", "new");
  const auto other_cid = state.Lookup("other/d.txt");
  reads.paths.clear();
  auto scoped = syncer.Sync(d.path, ImportOptions{}, sink, reads.hooks, "sub");
  REQUIRE(scoped);
  CHECK(reads.paths == std::multiset<std::string>{"sub/b.txt", "sub/deep/new.txt"});
  CHECK(state.Lookup("other/d.txt") == other_cid);
  // Equals the whole tree with other/ as it was: put it back and compare.
  d.Write("other/d.txt", "delta");
  CHECK(scoped->root == Reference(d.path));

  // A removed scope leaves the tree; the whole sync afterwards agrees.
  fs::remove_all(d.path + "/sub/deep");
  auto removed = syncer.Sync(d.path, ImportOptions{}, sink, {}, "sub/deep");
  REQUIRE(removed);
  CHECK(removed->root == Reference(d.path));
  CHECK_FALSE(state.Lookup("sub/deep/c.txt").has_value());
  CHECK_FALSE(syncer.Sync(d.path, ImportOptions{}, sink, {}, "../etc"));
  CHECK_FALSE(syncer.Sync(d.path, ImportOptions{}, sink, {}, "sub//b.txt"));
}

}  // namespace
}  // namespace ipfsfs::writeback

namespace ipfsfs::writeback {
namespace {

TEST_CASE("sync: the replaced root is unpinned, after a crash by the next sync", "[sync]") {
  Dir d;
  Corpus(d);
  Dir state_dir;
  std::vector<std::string> unpinned;
  bool fail = false;
  SyncHooks hooks;
  hooks.unpin = [&](const ipld::Cid& cid) -> Status {
    if (fail) return MakeError(ErrorCode::kUnavailable, "killed before the unpin");
    unpinned.push_back(cid.ToString());
    return OkStatus();
  };
  testing::MemorySink sink;
  ipld::Cid first, second;
  {
    auto state = OpenRocksSyncState(state_dir.path + "/db");
    REQUIRE(state);
    Syncer syncer(**state, kNoRacy);
    auto r1 = syncer.Sync(d.path, ImportOptions{}, sink, hooks);
    REQUIRE(r1);
    first = r1->root;
    CHECK(unpinned.empty());
    d.Write("a.txt", "alpha 2");
    fail = true;  // as if killed between the commit and the unpin
    auto r2 = syncer.Sync(d.path, ImportOptions{}, sink, hooks);
    REQUIRE(r2);
    second = r2->root;
    CHECK(r2->warning.find("stays pinned") != std::string::npos);
    CHECK((*state)->PendingUnpin() == first);
  }
  auto state = OpenRocksSyncState(state_dir.path + "/db");
  REQUIRE(state);
  CHECK((*state)->PendingUnpin() == first);
  fail = false;
  Syncer syncer(**state, kNoRacy);
  auto r3 = syncer.Sync(d.path, ImportOptions{}, sink, hooks);
  REQUIRE(r3);
  CHECK(r3->root == second);
  CHECK(r3->warning.empty());
  CHECK(unpinned == std::vector<std::string>{first.ToString()});
  CHECK_FALSE((*state)->PendingUnpin().has_value());
  // The next change unpins the root it replaces, at once.
  d.Write("a.txt", "alpha 3");
  auto r4 = syncer.Sync(d.path, ImportOptions{}, sink, hooks);
  REQUIRE(r4);
  CHECK(unpinned == std::vector<std::string>{first.ToString(), second.ToString()});
}

}  // namespace
}  // namespace ipfsfs::writeback

namespace ipfsfs::writeback {
namespace {

TEST_CASE("sync: without a snapshot, a file changed in the tick its read began is read again", "[sync]") {
  Dir d;
  Corpus(d);
  MemorySyncState state;
  // A clock standing still before the files' times: every read began in
  // their tick, so none can be trusted.
  SyncerOptions frozen{.racy_window_ns = -1, .read_attempts = 2, .use_clone = false, .now = [] { return int64_t{0}; }};
  Syncer syncer(state, frozen);
  testing::MemorySink sink;
  Reads reads(d.path);
  auto r = syncer.Sync(d.path, ImportOptions{}, sink, reads.hooks);
  REQUIRE(r);
  CHECK(r->stats.deferred == 6);
  CHECK(reads.paths.count("a.txt") == 2);
  // A clock past them: read once each.
  Syncer later(state, SyncerOptions{.racy_window_ns = -1, .use_clone = false, .now = Later});
  auto r2 = later.Sync(d.path, ImportOptions{}, sink);
  REQUIRE(r2);
  CHECK(r2->stats.deferred == 0);
  CHECK(r2->root == Reference(d.path));
}

}  // namespace
}  // namespace ipfsfs::writeback

namespace ipfsfs::writeback {
namespace {

TEST_CASE("sync: a cancelled sync publishes nothing", "[sync]") {
  Dir d;
  Corpus(d);
  MemorySyncState state;
  Syncer syncer(state, kNoRacy);
  testing::MemorySink sink;
  auto first = syncer.Sync(d.path, ImportOptions{}, sink);
  REQUIRE(first);
  d.Write("a.txt", "alpha 2");
  d.Write("sub/deep/c.txt", std::string(600000, 'y'));
  bool cancel = false;
  SyncHooks hooks;
  hooks.progress = [&](const SyncStats&) { cancel = true; };  // after the first file read
  hooks.cancelled = [&] { return cancel; };
  testing::MemorySink s;
  auto r = syncer.Sync(d.path, ImportOptions{}, s, hooks);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kCancelled);
  CHECK(s.roots.empty());
  CHECK(state.Root() == first->root);
  CHECK(state.commits == 1);
}

}  // namespace
}  // namespace ipfsfs::writeback
