// Directories against kubo's CIDs: basic, the HAMT boundary of 7.3, the 7.5
// illustration, moons and symlinks of 7.2.
#include "writeback/directory_builder.h"

#include <catch2/catch.hpp>

#include "ipld/dag_pb.h"
#include "ipld/unixfs.h"
#include "tests/writeback/memory_sink.h"
#include "tests/writeback/test_inputs.h"

namespace ipfsfs::writeback {
namespace {

using internal::Metadata;
using testing::MemorySink;

struct Env {
  explicit Env(ImportOptions o) : resolved(*ResolveOptions(o)), pool(2), files(resolved, sink, pool),
                                  dirs(resolved, files.cid_maker(), sink) {}
  DirEntry File(std::string name, std::string_view content) {
    SpanSource s(AsBytes(content));
    auto r = files.Build(s, Metadata{});
    REQUIRE(r);
    return DirEntry{std::move(name), r->cid, r->tsize};
  }
  ResolvedOptions resolved;
  MemorySink sink;
  blockcache::WorkerPool pool;
  FileBuilder files;
  DirectoryBuilder dirs;
};

std::string Build(Env& env, std::vector<DirEntry> entries) {
  auto r = env.dirs.Build(std::move(entries), Metadata{});
  REQUIRE(r);
  return r->cid.ToString();
}

TEST_CASE("empty directory, v0 and v1") {
  Env v0{ImportOptions{}};
  CHECK(Build(v0, {}) == "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn");
  ImportOptions o;
  o.cid_version = 1;
  Env v1{o};
  CHECK(Build(v1, {}) == "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354");
}

TEST_CASE("wrapped empty file and the symlink fixture") {
  Env env{ImportOptions{}};
  CHECK(Build(env, {env.File("example.jpg", "")}) == "QmaG4FuMqEBnQNn3C8XJ5bpW8kLs7zq2ZXgHptJHbKDDVx");
  auto link = env.dirs.Symlink("foo", Metadata{});
  REQUIRE(link);
  CHECK(ToHex(env.sink.blocks.at(link->cid.ToString())) == "0a0708041203666f6f");
  CHECK(Build(env, {env.File("foo", "content\n"), DirEntry{"bar", link->cid, link->tsize}}) ==
        "QmWvY6FaqFMS89YAQ9NAPjVP4WZKA1qbHbicc9HeSKQTgt");
}

TEST_CASE("symlink metadata (7.4)") {
  Env env{ImportOptions{}};
  auto a = env.dirs.Symlink("nothing", Metadata{0777, ipld::UnixTime{1604320482, {}}});
  REQUIRE(a);
  CHECK(a->cid.ToString() == "QmbJwotgtr84JxcnjpwJ86uZiyMoxbZuNH4YrdJMypkYaB");
  auto b = env.dirs.Symlink("nothing", Metadata{{}, ipld::UnixTime{1603539720, 54321}});
  REQUIRE(b);
  CHECK(b->cid.ToString() == "QmPHYCxYvvHj6VxiPNJ3kXxcPsnJLDYUJqsDJWjvytmrmY");
}

TEST_CASE("nested directories: moons") {
  Env env{ImportOptions{}};
  auto jupiter = env.dirs.Build({env.File("europa.txt", "Hello Europa!\n")}, {});
  auto saturn = env.dirs.Build({env.File("titan.txt", "Hello Titan!\n")}, {});
  REQUIRE(jupiter);
  REQUIRE(saturn);
  CHECK(jupiter->cid.ToString() == "QmS5mZddhFPLWFX3w6FzAy9QxyYkaxvUpsWCtZ3r7jub9J");
  CHECK(saturn->cid.ToString() == "QmaMagZT4rTE7Nonw8KGSK4oe1bh533yhZrCo1HihSG8FK");
  CHECK(jupiter->tsize == 78);
  CHECK(saturn->tsize == 76);
  std::vector<DirEntry> moons = {DirEntry{"saturn", saturn->cid, saturn->tsize},
                                 env.File("mercury.txt", "hey you are no moon!\n"),
                                 DirEntry{"jupiter", jupiter->cid, jupiter->tsize}};
  auto root = env.dirs.Build(moons, {});
  REQUIRE(root);
  CHECK(root->cid.ToString() == "QmbGoaQZm8kjYfCiN1aBsgwhqfUBGDYTrDb91Mz7Dvq81B");
  CHECK(env.sink.blocks.at(root->cid.ToString()).size() == 154);
}

TEST_CASE("forced HAMT illustration (7.5)") {
  ImportOptions o;
  o.hamt_threshold = 1;
  Env env{o};
  std::vector<DirEntry> entries;
  for (const char* n : {"a", "hello", "x", "file.txt"}) entries.push_back(env.File(n, "x"));
  auto r = env.dirs.Build(entries, {});
  REQUIRE(r);
  CHECK(r->cid.ToString() == "QmPePWDMeC9tyTLqJjWPKLozaR4ewJfT1jDT1xcmiyrz3x");
  CHECK(ToHex(env.sink.blocks.at(r->cid.ToString()))
            .ends_with("0a230805121a0800002000000000002000002000000000000000000000000000282230800" "2"));
}

std::vector<std::string> Names(std::string_view seed, std::vector<std::pair<size_t, size_t>> runs) {
  static constexpr char kAlpha[] = "abcdefghijklmnopqrstuvwxyz01234567890-_";
  size_t total = 0;
  for (auto [count, len] : runs) total += count * len;
  Bytes stream = testing::ChaChaBytes(seed, total);
  std::vector<std::string> names;
  size_t pos = 0;
  for (auto [count, len] : runs) {
    for (size_t i = 0; i < count; ++i) {
      std::string n;
      for (size_t k = 0; k < len; ++k) n.push_back(kAlpha[std::to_integer<unsigned>(stream[pos++]) % 39]);
      names.push_back(std::move(n));
    }
  }
  return names;
}

std::string HamtCase(ImportOptions o, std::string_view seed, std::vector<std::pair<size_t, size_t>> runs,
                     std::vector<std::string>* first = nullptr) {
  Env env{o};
  DirEntry x = env.File("", "x");
  std::vector<DirEntry> entries;
  auto names = Names(seed, runs);
  if (first) *first = {names[0], names[1]};
  for (auto& n : names) entries.push_back(DirEntry{n, x.cid, x.tsize});
  auto r = env.dirs.Build(entries, {});
  REQUIRE(r);
  return r->cid.ToString();
}

TEST_CASE("HAMT switch at the boundary, v0 links estimate (7.3)") {
  std::vector<std::string> first;
  CHECK(HamtCase({}, "hamt-unixfs-v0-2015", {{4096, 30}}, &first) ==
        "QmX5GtRk3TSSEHtdrykgqm4eqMEn3n2XhfkFAis5fjyZmN");
  CHECK(first == std::vector<std::string>{"cg3n3eaurdhsvfhxb0hltbe6iioq0p", "uggnbxoamfzg1dm6r-0fqt20zhq0lz"});
  CHECK(HamtCase({}, "hamt-unixfs-v0-2015", {{4033, 31}}) == "QmeMiJzmhpJAUgynAcxTQYek5PPKgdv3qEvFsdV3XpVnvP");
}

TEST_CASE("HAMT switch at the boundary, v1-2025 block estimate (7.3)") {
  ImportOptions o = *ProfileOptions("unixfs-v1-2025");
  std::vector<std::string> first;
  CHECK(HamtCase(o, "hamt-unixfs-v1-2025", {{4765, 11}, {1, 21}}, &first) ==
        "bafybeic3h7rwruealwxkacabdy45jivq2crwz6bufb5ljwupn36gicplx4");
  CHECK(first == std::vector<std::string>{"fvu7e4jzn1t", "pq0th5pxd7u"});
  CHECK(HamtCase(o, "hamt-unixfs-v1-2025", {{4765, 11}, {1, 22}}) ==
        "bafybeiegvuterwurhdtkikfhbxcldohmxp566vpjdofhzmnhv6o4freidu");
}

}  // namespace
}  // namespace ipfsfs::writeback

namespace ipfsfs::writeback {
namespace {

// Every block the importer writes is canonical dag-pb: ipld/'s strict decoder
// takes it and its encoder gives the same bytes back.
TEST_CASE("blocks round-trip through ipld's dag-pb and UnixFS codecs") {
  ImportOptions o;
  o.hamt_threshold = 1;  // shards, sub-shards and basic nodes alike
  Env env{o};
  std::vector<DirEntry> entries;
  for (int i = 0; i < 600; ++i) entries.push_back(env.File("n" + std::to_string(i), std::string(i, 'y')));
  auto r = env.dirs.Build(entries, Metadata{0755, ipld::UnixTime{1700000000, 5}});
  REQUIRE(r);
  testing::ChaChaSource big("roundtrip", 3 * 262144 + 5);
  REQUIRE(env.files.Build(big, Metadata{0600, std::nullopt}));
  REQUIRE(env.dirs.Symlink("target", Metadata{std::nullopt, ipld::UnixTime{1, {}}}));
  REQUIRE(env.sink.blocks.size() > 600);
  for (const auto& [cid, block] : env.sink.blocks) {
    INFO(cid);
    auto node = ipld::DecodePbNode(block);
    REQUIRE(node);
    CHECK(ipld::EncodePbNode(*node) == block);
    REQUIRE(node->data);
    CHECK(ipld::DecodeUnixfsData(*node->data));
  }
}

}  // namespace
}  // namespace ipfsfs::writeback
