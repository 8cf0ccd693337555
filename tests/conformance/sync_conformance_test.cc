// Syncer against the js reference importer (tests/peers/js_add.mjs --hidden):
// the synced root of the corpus tree (dotfiles, symlinks, empty and sharded
// directories, files of more than one chunk) must be the root js makes of the
// same tree with the same options (and after incremental changes, for v0).
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "tests/conformance/add_corpus.h"
#include "writeback/block_sink.h"
#include "writeback/syncer.h"

namespace ipfsfs::writeback {
namespace {
namespace fs = std::filesystem;

std::string JsRoot(const std::string& config, const std::string& path) {
  std::string command = "node '" IPFSFS_PEERS_DIR "/js_add.mjs' " + config + " '" + path + "' --hidden";
  FILE* p = ::popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  INFO(command);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  // The root is the last line: "<cid>\t<base name>".
  while (!out.empty() && out.back() == '\n') out.pop_back();
  std::string last = out.substr(out.rfind('\n') + 1);
  REQUIRE(last.substr(last.find('\t') + 1) == fs::path(path).filename().string());
  return last.substr(0, last.find('\t'));
}

// `incremental`: then change the tree and compare again (one config is enough
// for that: the reuse rules do not depend on the options).
void Check(const std::string& config, const ImportOptions& options, bool incremental = false) {
  REQUIRE(fs::exists(IPFSFS_PEERS_DIR "/node_modules/ipfs-unixfs-importer/package.json"));
  const auto& corpus = testing::GetAddCorpus(IPFSFS_CORPUS_DIR);
  char tmpl[] = "/tmp/ipfsfs-syncconf-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string staging = std::string(tmpl) + "/staging";
  fs::copy(corpus.tree, staging, fs::copy_options::recursive | fs::copy_options::copy_symlinks);

  MemorySyncState state;
  // Racy-clean re-reads and same-tick retries off (a clock past every file):
  // the copy was just written, and the count below is exact.
  Syncer syncer(state,
                SyncerOptions{.racy_window_ns = -1, .now = [] { return std::numeric_limits<int64_t>::max() / 2; }});
  NullSink sink;
  auto first = syncer.Sync(staging, options, sink);
  INFO(config << ": " << (first ? "" : first.error().message));
  REQUIRE(first);
  CHECK(first->root.ToString() == JsRoot(config, staging));
  if (!incremental) {
    fs::remove_all(tmpl);
    return;
  }

  // Changes in place, then a second (incremental) sync.
  std::ofstream(staging + "/.new-dotfile") << "new\n";
  std::ofstream(staging + "/names/.dotdir/hidden.txt", std::ios::app) << "more\n";
  fs::create_directories(staging + "/added/.deep");
  std::ofstream(staging + "/added/.deep/big", std::ios::binary) << std::string(700000, 'q');
  fs::remove(staging + "/.hidden");
  auto second = syncer.Sync(staging, options, sink);
  REQUIRE(second);
  CHECK(second->stats.files_read == 3);
  CHECK(second->root.ToString() == JsRoot(config, staging));
  fs::remove_all(tmpl);
}

TEST_CASE("sync conformance: v0 defaults, then incremental changes", "[conformance][sync]") {
  Check("v0", ImportOptions{}, true);
}

TEST_CASE("sync conformance: v1 raw leaves", "[conformance][sync]") {
  ImportOptions o;
  o.cid_version = 1;
  Check("v1-raw", o);
}

TEST_CASE("sync conformance: trickle", "[conformance][sync]") {
  ImportOptions o;
  o.layout = Layout::kTrickle;
  Check("trickle", o);
}

}  // namespace
}  // namespace ipfsfs::writeback
