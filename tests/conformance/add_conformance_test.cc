// ipfsfs add against the js reference importer (ipfs-unixfs-importer, set up
// to imitate kubo: tests/peers/js_add.mjs) on a deterministic corpus: every
// entry's CID must match, for v0 defaults, v1 raw leaves, both IPIP-499
// profiles, v1 with 1 MiB chunks and trickle. CARs written by --car must be
// read by @ipld/car and unpacked by ipfs-unixfs-exporter to the same bytes.
// The npm peers must be installed (npm ci --prefix tests/peers): without them
// these tests fail, they never skip.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/conformance/add_corpus.h"
#include "writeback/block_sink.h"
#include "writeback/importer.h"

namespace ipfsfs::writeback {
namespace {
namespace fs = std::filesystem;

const std::string kPeers = IPFSFS_PEERS_DIR;
const std::string kBinary = IPFSFS_BINARY;

struct Run {
  int status = -1;
  std::string out;
};

Run Shell(const std::string& command) {
  Run run;
  FILE* p = ::popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) run.out.append(buf, n);
  int status = ::pclose(p);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

std::string Quote(const std::string& s) { return "'" + s + "'"; }

void RequirePeers() {
  INFO("the js reference peers are missing: run `npm ci --prefix tests/peers` (needs node >= 18)");
  REQUIRE(Shell("node --version >/dev/null 2>&1").status == 0);
  REQUIRE(fs::exists(kPeers + "/node_modules/ipfs-unixfs-importer/package.json"));
  REQUIRE(fs::exists(kPeers + "/node_modules/@ipld/car/package.json"));
  REQUIRE(fs::exists(kPeers + "/node_modules/ipfs-unixfs-exporter/package.json"));
}

const testing::AddCorpus& Corpus() { return testing::GetAddCorpus(IPFSFS_CORPUS_DIR); }

using Entries = std::map<std::string, std::string>;  // path -> CID

Entries JsEntries(const std::string& config, const std::string& path) {
  Run run = Shell("node " + Quote(kPeers + "/js_add.mjs") + " " + config + " " + Quote(path));
  INFO("js_add.mjs " << config << " " << path);
  REQUIRE(run.status == 0);
  Entries entries;
  std::istringstream lines(run.out);
  std::string line;
  while (std::getline(lines, line)) {
    size_t tab = line.find('\t');
    REQUIRE(tab != std::string::npos);
    entries[line.substr(tab + 1)] = line.substr(0, tab);
  }
  return entries;
}

Entries OurEntries(const ImportOptions& options, const std::string& path) {
  NullSink sink;
  auto importer = Importer::Create(options, sink);
  REQUIRE(importer);
  Entries entries;
  auto roots = (*importer)->AddPaths({path}, true, [&](const AddedEntry& e) {
    entries[e.path] = e.cid.ToString();
  });
  INFO((roots ? "" : roots.error().message));
  REQUIRE(roots);
  return entries;
}

void Compare(const std::string& config, const ImportOptions& options, bool big_only = false) {
  RequirePeers();
  std::vector<std::string> paths = {Corpus().big};
  if (!big_only) paths.push_back(Corpus().tree);
  for (const std::string& path : paths) {
    Entries js = JsEntries(config, path);
    Entries ours = OurEntries(options, path);
    INFO(config << " on " << path);
    // The js importer yields no line for an empty directory; every entry it
    // does yield must be ours too, with the same CID.
    CHECK(ours.size() >= js.size());
    if (path == Corpus().tree) CHECK(js.size() > 4800);
    size_t mismatches = 0;
    for (const auto& [p, cid] : js) {
      auto it = ours.find(p);
      if (it == ours.end() || it->second != cid) {
        if (++mismatches <= 10) {
          UNSCOPED_INFO(p << ": js " << cid << " ours " << (it == ours.end() ? "missing" : it->second));
        }
      }
    }
    CHECK(mismatches == 0);
    // The root is the argument's own entry.
    std::string root = fs::path(path).filename().string();
    REQUIRE(js.count(root) == 1);
    CHECK(ours[root] == js[root]);
  }
}

ImportOptions Profile(const char* name) {
  auto o = ProfileOptions(name);
  REQUIRE(o);
  return *o;
}

TEST_CASE("conformance: v0 defaults", "[conformance]") { Compare("v0", ImportOptions{}); }

TEST_CASE("conformance: v1 raw leaves", "[conformance]") {
  ImportOptions o;
  o.cid_version = 1;
  Compare("v1-raw", o);
}

TEST_CASE("conformance: profile unixfs-v0-2015", "[conformance]") {
  Compare("profile-v0", Profile("unixfs-v0-2015"));
}

TEST_CASE("conformance: profile unixfs-v1-2025", "[conformance]") {
  Compare("profile-v1", Profile("unixfs-v1-2025"));
}

TEST_CASE("conformance: v1 with 1 MiB chunks", "[conformance]") {
  ImportOptions o;
  o.cid_version = 1;
  o.chunker = "size-1048576";
  Compare("v1-1mib", o);
}

TEST_CASE("conformance: trickle", "[conformance]") {
  ImportOptions o;
  o.layout = Layout::kTrickle;
  Compare("trickle", o);
}

TEST_CASE("conformance: trickle with v1 raw leaves", "[conformance]") {
  ImportOptions o;
  o.layout = Layout::kTrickle;
  o.cid_version = 1;
  Compare("trickle-v1", o);
}

TEST_CASE("conformance: trickle, 16 KiB chunks (depth 3)", "[conformance]") {
  ImportOptions o;
  o.layout = Layout::kTrickle;
  o.chunker = "size-16384";
  Compare("trickle-16k", o, true);
}

TEST_CASE("conformance: balanced, 1 KiB chunks (three layers)", "[conformance]") {
  ImportOptions o;
  o.chunker = "size-1024";
  Compare("v0-1k", o, true);
}

std::string TempDir() {
  char tmpl[] = "/tmp/ipfsfs-add-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  return tmpl;
}

TEST_CASE("conformance: --car is read by @ipld/car and unpacks to the same bytes", "[conformance]") {
  RequirePeers();
  std::string dir = TempDir();
  struct Case {
    std::string flags;
    std::string path;
  };
  const Case cases[] = {
      {"-r", Corpus().tree},
      {"-r --profile unixfs-v1-2025", Corpus().tree},
      {"-r --trickle --cid-version 1", Corpus().tree},
      {"", Corpus().big},
      {"--inline --raw-leaves", Corpus().tree + "/sizes/size-1"},
  };
  for (const Case& c : cases) {
    INFO("ipfsfs add " << c.flags << " " << c.path);
    std::string car = dir + "/out.car";
    Run add = Shell(Quote(kBinary) + " add -Q " + c.flags + " --car " + Quote(car) + " " + Quote(c.path));
    REQUIRE(add.status == 0);
    std::string root = add.out.substr(0, add.out.find('\n'));
    Run hashed = Shell(Quote(kBinary) + " add -Q -n " + c.flags + " " + Quote(c.path));
    CHECK(hashed.out == add.out);
    Run check = Shell("node " + Quote(kPeers + "/car_check.mjs") + " " + Quote(car) + " " + Quote(c.path) + " " + root);
    INFO(check.out);
    CHECK(check.status == 0);
    CHECK(check.out.rfind("ok ", 0) == 0);
    CHECK_FALSE(fs::exists(car + ".tmp"));
  }
  fs::remove_all(dir);
}

TEST_CASE("ipfsfs add: kubo vectors and output through the command", "[conformance]") {
  std::string dir = TempDir();
  auto write = [&](const std::string& rel, const std::string& text) {
    fs::create_directories(fs::path(dir + "/" + rel).parent_path());
    std::ofstream(dir + "/" + rel, std::ios::binary) << text;
  };
  write("moons/jupiter/europa.txt", "Hello Europa!\n");
  write("moons/saturn/titan.txt", "Hello Titan!\n");
  write("moons/mercury.txt", "hey you are no moon!\n");
  write("moons/.secret", "not added\n");
  write("hello", "hello world\n");
  write("example.jpg", "");
  write("tab\there", "x");
  const std::string add = "cd " + Quote(dir) + " && " + Quote(kBinary) + " add ";

  CHECK(Shell(add + "-n -r moons").out ==
        "added Qmbjg7zWdqdMaK2BucPncJQDxiALExph5k3NkQv5RHpccu moons/jupiter/europa.txt\n"
        "added QmRsTB5CpEUvDUpDgHCzb3VftZ139zrk9zs5ZcgYh9TMPJ moons/mercury.txt\n"
        "added QmZzppb9WHn552rmRqpPfgU5FEiHH6gDwi3MrB9cTdPwdb moons/saturn/titan.txt\n"
        "added QmS5mZddhFPLWFX3w6FzAy9QxyYkaxvUpsWCtZ3r7jub9J moons/jupiter\n"
        "added QmaMagZT4rTE7Nonw8KGSK4oe1bh533yhZrCo1HihSG8FK moons/saturn\n"
        "added QmbGoaQZm8kjYfCiN1aBsgwhqfUBGDYTrDb91Mz7Dvq81B moons\n");
  CHECK(Shell(add + "-n -Q -r moons/").out == "QmbGoaQZm8kjYfCiN1aBsgwhqfUBGDYTrDb91Mz7Dvq81B\n");
  CHECK(Shell(add + "-n -q hello").out == "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o\n");
  CHECK(Shell(add + "-n hello --cid-version 1").out ==
        "added bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4 hello\n");
  CHECK(Shell(add + "-n -t hello").out == "added QmVib14uvPnCP73XaCDpwugRuwfTsVbGyWbatHAmLSdZUS hello\n");
  CHECK(Shell(add + "-n -w example.jpg").out ==
        "added QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH example.jpg\n"
        "added QmaG4FuMqEBnQNn3C8XJ5bpW8kLs7zq2ZXgHptJHbKDDVx \n");
  CHECK(Shell(add + "-n --raw-leaves hello example.jpg").out ==
        "added bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4 hello\n"
        "added bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku example.jpg\n");
  write("hw", "hello world");
  CHECK(Shell(add + "-nQ --hash sha2-512 hw").out ==
        "bafkrgqbqt3gerhas23vuzrapkdeqf4vu2dwxp3srdj6hvg6nhsug2tgyn6mj3u23yx7utftq3i2ckw2fwdh5qmhid5qf3t35yvkc5e5ottlw6\n");
  CHECK(Shell(add + "-nQ --hash sha2-512 --cid-version 0 hw 2>/dev/null").status == 2);
  CHECK(Shell(add + "-nQ --hash nope hw 2>/dev/null").status == 2);
  // Fixed metadata (7.4).
  CHECK(Shell(add + "-nQ --mode=0764 example.jpg").out == "QmchD3BN8TQ3RW6jPLxSaNkqvfuj7syKhzTRmL4EpyY1Nz\n");
  CHECK(Shell(add + "-nQ --mtime=1603539720 example.jpg").out == "QmT3aY4avDcYXCWpU8CJzqUkW7YEuEsx36S8cTNoLcuK1B\n");
  CHECK(Shell(add + "-nQ --mode=0764 --mtime=1603539720 --mtime-nsecs=54321 example.jpg").out ==
        "QmUkxrtBA8tPjwCYz1HrsoRfDz6NgKut3asVeHVQNH4C8L\n");
  CHECK(Shell(add + "-nQ --mtime=1603539720 --mtime-nsecs=54321 example.jpg").out ==
        "QmaKH8H5rXBUBCX4vdxi7ktGQEL7wejV7L9rX2qpZjwncz\n");
  CHECK(Shell(add + "-n --mtime-nsecs=5 example.jpg 2>/dev/null").status == 2);
  fs::create_symlink("nothing", dir + "/link");
  CHECK(Shell(add + "-nQ --mtime=1603539720 link").out == "QmV1Uot2gy4bhY9yvYiZxhhchhyYC6MKKoGV1XtWNmpCLe\n");
  CHECK(Shell(add + "-nQ --mode=0764 --mtime=1603539720 --mtime-nsecs=54321 link").out ==
        "QmPHYCxYvvHj6VxiPNJ3kXxcPsnJLDYUJqsDJWjvytmrmY\n");
  // Names are escaped as kubo's EscNonPrint does.
  CHECK(Shell(add + "-n 'tab\there'").out == "added QmULKig5Fxrs2sC4qt9nNduucXfb92AFYQ6Hi3YRqDmrYC tab\\there\n");
  // Hidden entries only with -H: .secret joins the root (the js reference
  // peer's root: node tests/peers/js_add.mjs v0 moons --hidden).
  CHECK(Shell(add + "-n -Q -r -H moons").out == "QmT9RxKoYAjmiD8FXE42FbAyPYxc2Lvj7LtcSuHWxUtLwh\n");
  CHECK(Shell("printf 'hello world\\n' | " + Quote(kBinary) + " add -n").out ==
        "added QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o\n");
  // Usage errors exit 2; a directory without -r and bad chunkers are refused.
  CHECK(Shell(add + "-n moons 2>/dev/null").status == 1);
  CHECK(Shell(add + "-n -s size-0 hello 2>/dev/null").status == 2);
  CHECK(Shell(add + "-n --profile nope hello 2>/dev/null").status == 2);
  CHECK(Shell(add + "-n --preserve-mtime --raw-leaves hello 2>/dev/null").status == 2);
  fs::remove_all(dir);
}

TEST_CASE("ipfsfs add: special files fail per path and leave no CAR", "[conformance]") {
  std::string dir = TempDir();
  std::string car = dir + "/out.car";
  Run run = Shell(Quote(kBinary) + " add -r --car " + Quote(car) + " " + Quote(Corpus().bad_tree) + " 2>&1");
  CHECK(run.status == 1);
  CHECK(run.out.find("ipfsfs: add " + Corpus().bad_tree + "/pipe: fifo cannot be added") != std::string::npos);
  CHECK_FALSE(fs::exists(car));
  CHECK_FALSE(fs::exists(car + ".tmp"));
  Run dev = Shell(Quote(kBinary) + " add -n /dev/null 2>&1");
  CHECK(dev.status == 1);
  CHECK(dev.out == "ipfsfs: add /dev/null: character device cannot be added\n");
  Run missing = Shell(Quote(kBinary) + " add -n " + Quote(dir + "/nope") + " 2>&1");
  CHECK(missing.status == 1);
  CHECK(missing.out == "ipfsfs: add " + dir + "/nope: No such file or directory\n");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ipfsfs::writeback
