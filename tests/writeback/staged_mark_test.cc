// Staged marks (writeback/staged_mark.h) and the Syncer over placeholders: a
// tree staged from a DAG built with other options than the sync's keeps its
// CIDs without one file read; an edited file is imported with the sync's
// options and only its parent chain is rebuilt.
#include "writeback/staged_mark.h"

#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>

#include "tests/writeback/memory_sink.h"
#include "writeback/syncer.h"

namespace ipfsfs::writeback {
namespace {
namespace fs = std::filesystem;

std::string TempDir() {
  char tmpl[] = "/tmp/ipfsfs-staged-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  return tmpl;
}

void Write(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

void SetMark(const std::string& path, const StagedMark& mark) {
  std::string text = EncodeStagedMark(mark);
  REQUIRE(::lsetxattr(path.c_str(), std::string(kStagedXattr).c_str(), text.data(), text.size(), 0) == 0);
}

int64_t Later() { return std::numeric_limits<int64_t>::max() / 2; }
const SyncerOptions kNoRacy{.racy_window_ns = -1, .now = Later};

// What `ipfsfs stage` makes of `src` (already synced into `index` with its
// own options) at `dst`: directories with fingerprint marks, sparse files
// with file marks, symlinks as they are.
void Stage(const std::string& src, const std::string& dst, const std::string& rel, const SyncIndex& index) {
  fs::create_directory(dst);
  std::vector<StagedChild> children;
  for (const auto& e : fs::directory_iterator(src)) {
    const std::string name = e.path().filename();
    const std::string child_rel = rel.empty() ? name : rel + "/" + name;
    const SyncEntry& entry = index.at(child_rel);
    const std::string to = dst + "/" + name;
    if (e.is_symlink()) {
      fs::create_symlink(fs::read_symlink(e.path()), to);
      children.push_back(StagedChild{name, std::nullopt, 0, fs::read_symlink(e.path()).string()});
    } else if (e.is_directory()) {
      Stage(e.path(), to, child_rel, index);
      children.push_back(StagedChild{name, entry.cid, entry.tsize, {}});
    } else {
      std::ofstream(to).close();
      fs::resize_file(to, entry.size);
      SetMark(to, StagedMark{entry.cid, entry.tsize, entry.size, false, {}});
      children.push_back(StagedChild{name, entry.cid, entry.tsize, {}});
    }
  }
  const SyncEntry& self = index.at(rel);
  SetMark(dst, StagedMark{self.cid, self.tsize, 0, true, StagedFingerprint(std::move(children))});
}

TEST_CASE("staged mark: codec round trip, bad marks refused", "[staged]") {
  auto cid = ipld::Cid::Parse("QmPDjg1kRpiFaUh8T57toLs72oRAKHByeygiANZd2TTViT");
  REQUIRE(cid);
  StagedMark file{*cid, 1234, 1200, false, {}};
  CHECK(EncodeStagedMark(file) == "v1 QmPDjg1kRpiFaUh8T57toLs72oRAKHByeygiANZd2TTViT 1234 1200");
  auto back = DecodeStagedMark(EncodeStagedMark(file));
  REQUIRE(back);
  CHECK(back->cid == *cid);
  CHECK(back->tsize == 1234);
  CHECK(back->size == 1200);
  CHECK_FALSE(back->directory);

  StagedMark dir{*cid, 99, 0, true, StagedFingerprint({StagedChild{"a", *cid, 5, {}}})};
  auto dback = DecodeStagedMark(EncodeStagedMark(dir));
  REQUIRE(dback);
  CHECK(dback->directory);
  CHECK(dback->fingerprint == dir.fingerprint);
  CHECK(dback->fingerprint.size() == 32);

  for (std::string bad : {"", "v1", "v2 QmPDjg1kRpiFaUh8T57toLs72oRAKHByeygiANZd2TTViT 1 1", "v1 nope 1 1",
                          "v1 QmPDjg1kRpiFaUh8T57toLs72oRAKHByeygiANZd2TTViT x 1",
                          "v1 QmPDjg1kRpiFaUh8T57toLs72oRAKHByeygiANZd2TTViT 1 dzz",
                          "v1 QmPDjg1kRpiFaUh8T57toLs72oRAKHByeygiANZd2TTViT 1 1 extra"}) {
    INFO(bad);
    CHECK_FALSE(DecodeStagedMark(bad));
  }
}

TEST_CASE("staged mark: the fingerprint ignores order, sees names, CIDs, Tsizes and link targets", "[staged]") {
  auto a = *ipld::Cid::Parse("QmPDjg1kRpiFaUh8T57toLs72oRAKHByeygiANZd2TTViT");
  auto b = *ipld::Cid::Parse("QmQgTdGEPDqz3f5eUbfPiP5NnQj1WPGLAJWdXZiQZrVP78");
  std::string base = StagedFingerprint({{"x", a, 1, {}}, {"y", b, 2, {}}, {"l", std::nullopt, 0, "x"}});
  CHECK(base == StagedFingerprint({{"l", std::nullopt, 0, "x"}, {"y", b, 2, {}}, {"x", a, 1, {}}}));
  CHECK(base != StagedFingerprint({{"x", a, 1, {}}, {"y", a, 2, {}}, {"l", std::nullopt, 0, "x"}}));
  CHECK(base != StagedFingerprint({{"x", a, 1, {}}, {"y", b, 3, {}}, {"l", std::nullopt, 0, "x"}}));
  CHECK(base != StagedFingerprint({{"x", a, 1, {}}, {"z", b, 2, {}}, {"l", std::nullopt, 0, "x"}}));
  CHECK(base != StagedFingerprint({{"x", a, 1, {}}, {"y", b, 2, {}}, {"l", std::nullopt, 0, "y"}}));
  CHECK(base != StagedFingerprint({{"x", a, 1, {}}, {"y", b, 2, {}}}));
}

TEST_CASE("sync: a staged tree keeps its CIDs unread, an edit rebuilds only its parent chain", "[staged][sync]") {
  const std::string src = TempDir();
  const std::string staged = TempDir() + "/site";
  Write(src + "/index.html", "<h1>Hello</h1>\n");
  Write(src + "/css/style.css", "body {}\n");
  Write(src + "/img/big.bin", std::string(700000, 'b'));  // three chunks
  Write(src + "/blog/2026/first.html", "first\n");
  fs::create_directory(src + "/empty");
  fs::create_symlink("index.html", src + "/home.html");

  // Published with CIDv1 and raw leaves; the sync makes CIDv0.
  ImportOptions v1;
  v1.cid_version = 1;
  MemorySyncState original;
  testing::MemorySink sink1;
  auto published = Syncer(original, kNoRacy).Sync(src, v1, sink1);
  REQUIRE(published);
  const SyncIndex& was = original.Entries();
  Stage(src, staged, "", was);

  MemorySyncState state;
  Syncer syncer(state, kNoRacy);
  std::set<std::string> reads;
  SyncHooks hooks;
  hooks.before_read = [&](const std::string& p) { reads.insert(p.substr(staged.size() + 1)); };
  testing::MemorySink sink;
  auto r = syncer.Sync(staged, ImportOptions{}, sink, hooks);
  REQUIRE(r);
  CHECK(r->root == published->root);
  CHECK(reads.empty());
  CHECK(r->stats.files_read == 1);  // the symlink, rebuilt (and equal: symlinks carry no leaves)
  CHECK(r->stats.placeholders == 4);
  CHECK(r->stats.dirs_built == 0);

  SECTION("an edited file: imported with the sync's options, its parents rebuilt, siblings kept") {
    // What materializing then writing does: bytes in place, mark removed.
    Write(staged + "/blog/2026/first.html", "first, edited\n");
    REQUIRE(::removexattr((staged + "/blog/2026/first.html").c_str(), std::string(kStagedXattr).c_str()) == 0);
    reads.clear();
    auto e = syncer.Sync(staged, ImportOptions{}, sink, hooks);
    REQUIRE(e);
    CHECK(reads == std::set<std::string>{"blog/2026/first.html"});
    CHECK(e->root != published->root);
    CHECK(e->root.version() == 0);
    const SyncIndex& now = state.Entries();
    for (std::string kept : {"css", "img", "img/big.bin", "index.html", "empty"}) {
      INFO(kept);
      CHECK(now.at(kept).cid == was.at(kept).cid);
    }
    for (std::string rebuilt : {"", "blog", "blog/2026", "blog/2026/first.html"}) {
      INFO(rebuilt);
      CHECK(now.at(rebuilt).cid.version() == 0);
    }
    CHECK(e->stats.dirs_built == 3);
  }

  SECTION("a placeholder whose size no longer matches its mark is content, not a placeholder") {
    fs::resize_file(staged + "/index.html", 3);
    reads.clear();
    auto t = syncer.Sync(staged, ImportOptions{}, sink, hooks);
    REQUIRE(t);
    CHECK(reads == std::set<std::string>{"index.html"});
    CHECK(t->root != published->root);
  }

  SECTION("a renamed placeholder keeps its mark; the directory it left is rebuilt") {
    fs::rename(staged + "/img/big.bin", staged + "/big.bin");
    reads.clear();
    auto m = syncer.Sync(staged, ImportOptions{}, sink, hooks);
    REQUIRE(m);
    CHECK(reads.empty());
    CHECK(state.Entries().at("big.bin").cid == was.at("img/big.bin").cid);
    CHECK(state.Entries().at("css").cid == was.at("css").cid);
  }
  fs::remove_all(src);
  fs::remove_all(fs::path(staged).parent_path());
}

TEST_CASE("sync: a staged HAMT directory keeps its CID though the sync's options would make it plain",
          "[staged][sync]") {
  const std::string src = TempDir();
  const std::string staged = TempDir() + "/big";
  for (int i = 0; i < 40; ++i) Write(src + "/dir/f" + std::to_string(i), std::to_string(i));
  Write(src + "/dir/sub/x", "x");
  // Sharded at a few hundred bytes of links (kubo's switch, made small).
  ImportOptions hamt;
  hamt.cid_version = 1;
  hamt.hamt_threshold = 256;
  MemorySyncState original;
  testing::MemorySink sink1;
  auto published = Syncer(original, kNoRacy).Sync(src, hamt, sink1);
  REQUIRE(published);
  Stage(src, staged, "", original.Entries());

  MemorySyncState state;
  Syncer syncer(state, kNoRacy);
  testing::MemorySink sink;
  auto r = syncer.Sync(staged, ImportOptions{}, sink);
  REQUIRE(r);
  CHECK(r->root == published->root);
  CHECK(r->stats.files_read == 0);
  CHECK(r->stats.dirs_built == 0);

  // A new entry: the directory is built anew, plain and CIDv0, its staged subdirectory kept.
  Write(staged + "/dir/new", "new");
  auto n = syncer.Sync(staged, ImportOptions{}, sink);
  REQUIRE(n);
  CHECK(n->stats.files_read == 1);
  CHECK(state.Entries().at("dir").cid.version() == 0);
  CHECK(state.Entries().at("dir").cid != original.Entries().at("dir").cid);
  CHECK(state.Entries().at("dir/sub").cid == original.Entries().at("dir/sub").cid);
  fs::remove_all(src);
  fs::remove_all(fs::path(staged).parent_path());
}

}  // namespace
}  // namespace ipfsfs::writeback
