// Files against kubo's own CIDs (kubo-add.md §7.2–7.4, §7.6).
#include "writeback/file_builder.h"

#include <catch2/catch.hpp>

#include "tests/writeback/memory_sink.h"
#include "tests/writeback/test_inputs.h"

namespace ipfsfs::writeback {
namespace {

using testing::ChaChaSource;
using testing::MemorySink;
using testing::XorShiftSource;

ImportOptions Opts(std::string_view flags) {
  ImportOptions o;
  if (flags.find("v1-2025") != std::string_view::npos) o = *ProfileOptions("unixfs-v1-2025");
  if (flags.find("cid1") != std::string_view::npos) o.cid_version = 1;
  if (flags.find("raw") != std::string_view::npos) o.raw_leaves = true;
  if (flags.find("noraw") != std::string_view::npos) o.raw_leaves = false;
  if (flags.find("trickle") != std::string_view::npos) o.layout = Layout::kTrickle;
  if (flags.find("inline") != std::string_view::npos) o.inline_blocks = true;
  return o;
}

struct Built {
  std::string cid;
  uint64_t tsize = 0;
  MemorySink sink;
};

std::unique_ptr<Built> Build(ByteSource& source, ImportOptions o, internal::Metadata meta = {}) {
  auto resolved = ResolveOptions(o);
  REQUIRE(resolved);
  blockcache::WorkerPool pool(2);
  auto out = std::make_unique<Built>();
  FileBuilder builder(*resolved, out->sink, pool);
  auto r = builder.Build(source, meta);
  REQUIRE(r);
  out->cid = r->cid.ToString();
  out->tsize = r->tsize;
  return out;
}

std::string Cid(std::string_view text, std::string_view flags) {
  SpanSource s(AsBytes(text));
  return Build(s, Opts(flags))->cid;
}

TEST_CASE("small known values of 7.2") {
  CHECK(Cid("", "") == "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH");
  CHECK(Cid("", "cid1") == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  CHECK(Cid("", "raw") == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  CHECK(Cid("", "trickle") == "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH");
  CHECK(Cid("", "trickle cid1") == "bafybeif7ztnhq65lumvvtr4ekcwd2ifwgm3awq4zfr3srh462rwyinlb4y");
  CHECK(Cid("hello world\n", "") == "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");
  CHECK(Cid("hello world\n", "cid1") == "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4");
  CHECK(Cid("hello world\n", "trickle") == "QmVib14uvPnCP73XaCDpwugRuwfTsVbGyWbatHAmLSdZUS");
  CHECK(Cid("hello world", "") == "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD");
  CHECK(Cid("hello world", "cid1") == "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
  CHECK(Cid("hello world", "v1-2025") == "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
  CHECK(Cid("hello world", "cid1 noraw") == "bafybeihykld7uyxzogax6vgyvag42y7464eywpf55gxi5qpoisibh3c5wa");
  CHECK(Cid("Hello Worlds!\n", "") == "QmVr26fY1tKyspEJBniVhqxQeEjhF78XerGiqWAwraVLQH");
  CHECK(Cid("Hello Worlds!\n", "trickle") == "QmUkUQgxXeggyaD5Ckv8ZqfW8wHBX6cYyeiyqvVZYzq5Bi");
  CHECK(Cid("jkD98jkD975hkD8\n", "inline raw") == "bafkqaedknncdsodknncdsnzvnbvuioak");
  CHECK(Cid("jkD98jkD975hkD8\n", "inline") == "bafyaagakcyeaeeqqnjvuiojynjvuiojxgvugwrbybimba");
  for (const char* c : {"rabin", "rabin-36-512-1024", "size-64", "buzhash"}) {
    SpanSource s(AsBytes("Hello Worlds!\n"));
    ImportOptions o;
    o.chunker = c;
    CHECK(Build(s, o)->cid == "QmVr26fY1tKyspEJBniVhqxQeEjhF78XerGiqWAwraVLQH");
  }
}

TEST_CASE("encoding and Tsize of a two-chunk file (3.4, 3.5)") {
  ChaChaSource s("chunk-v0-seed", 262145);
  auto b = Build(s, Opts(""));
  CHECK(b->cid == "QmYyLxtzZyW22zpoVAtKANLRHpDjZtNeDjQdJrcQNWoRkJ");
  CHECK(b->tsize == 262158 + 9 + 100);
  const Bytes& root = b->sink.blocks.at(b->cid);
  CHECK(root.size() == 100);
  CHECK(ToHex(root).substr(0, 12) == "122a0a221220");
  CHECK(ToHex(root).ends_with("0a0c080218818010208080102001"));
  CHECK(b->sink.blocks.size() == 3);
}

TEST_CASE("profile boundary vectors (7.3)") {
  struct Row {
    const char* seed;
    uint64_t size;
    const char* flags;
    const char* cid;
  };
  const Row rows[] = {
      {"chunk-v0-seed", 262144, "", "QmWmRj3dFDZdb6ABvbmKhEL6TmPbAfBZ1t5BxsEyJrcZhE"},
      {"v0-seed", 45613056, "", "QmUbBALi174SnogsUzLpYbD4xPiBSFANF4iztWCsHbMKh2"},
      {"v0-seed", 45613057, "", "QmV81WL765sC8DXsRhE5fJv2rwhS4icHRaf3J9Zk5FdRnW"},
      {"trickle-test", 47185920, "trickle", "QmbqR6g7YCpndLcCZZXkGyj13uMcSrwDYUvZ47vJqBVjUH"},
      {"chunk-v1-seed", 1048576, "v1-2025", "bafkreiacndfy443ter6qr2tmbbdhadvxxheowwf75s6zehscklu6ezxmta"},
      {"chunk-v1-seed", 1048577, "v1-2025", "bafybeigmix7t42i6jacydtquhet7srwvgpizfg7gjbq7627d35mjomtu64"},
  };
  for (const Row& r : rows) {
    INFO(r.seed << " " << r.size);
    ChaChaSource s(r.seed, r.size);
    CHECK(Build(s, Opts(r.flags))->cid == r.cid);
  }
}

TEST_CASE("256 MiB with 1024 links per node (7.3)") {
  ChaChaSource s("hello world", 268435456);
  ImportOptions o;
  o.max_links = 1024;
  auto resolved = ResolveOptions(o);
  REQUIRE(resolved);
  blockcache::WorkerPool pool(2);
  NullSink sink;
  FileBuilder builder(*resolved, sink, pool);
  auto r = builder.Build(s, {});
  REQUIRE(r);
  CHECK(r->cid.ToString() == "QmbBftNHWmjSWKLC49dMVrfnY8pjrJYntiAXirFJ7oJrNk");
  CHECK(r->size == 268435456);
}

TEST_CASE("content-defined chunker roots (7.6)") {
  struct Row {
    uint64_t seed, size;
    const char* chunker;
    const char* v0;
    const char* v1;
  };
  const Row rows[] = {
      {1, 1048576, "rabin", "QmYWEkD5MVCdMwuJtCoMNryP4HAGHqx9oW5HQj2y7yNags",
       "bafybeihktmodlp6xbo4kwyuwsqusjvtzbajlduriy2lv43cxlawft55ima"},
      {1, 1048576, "rabin-4096-8192-16384", "QmWoFRe6zaQv1yhwxZRCWS97TbTSQarFmqB6BBcA78iw2q",
       "bafybeihu5pdxr6demnaya46i2j2v5cu5chcbmv2yeadeyhnawspc4475b4"},
      {1, 1048576, "buzhash", "QmQTiwGPg38okH3kddxrdQBrai3tQ5LN1RBTJwcVobT1eZ",
       "bafybeiazmrdfn3hdoxvnhpznwqaj54v5kx3gvxdx5cohqcl7ruqvlbc55y"},
      {2, 3145728, "rabin-4096-8192-16384", "QmeQh9Kkuy5VQyAtjSTYMGoWKyCsB6vsTfjqosZYW1cw8C",
       "bafybeighghemmjtm3gcpwk465zvk25cl53d47ejltwab2nj6mhiqxkcpf4"},
      {2, 3145728, "buzhash", "QmW6c9nQyq6McFATUzj3QQbwye4MahfYPvjACiNHGCYdtE",
       "bafybeiepsu4fkxly43u5vvyh62pgkeajopschhyolv6j56mbac7dfozssa"},
      {3, 5000000, "size-262144", "QmRdA83HFfcPL91oawkwqCdXVuh2Wts62i4d7M7S9ajGNr",
       "bafybeicw26ikgpsfaq676gegkqij234v3oh24qaflt4wqym7kttjk3ywo4"},
      {3, 5000000, "rabin-65536", "Qmd8WxdKVHwNcxaw9ZYpdxn6z3D7RF99RKuYtFbRbJCZEm",
       "bafybeieuql6aveiqgym3p5q4p2csvhyur22vijdpyq24rv2pwo6adxc4vm"},
      {3, 5000000, "rabin-4096-8192-16384", "QmYT3eQyK92e29A5c3YZNPZArncBP3Rktxe9cT3F4gUDZn",
       "bafybeie2c7p2iz2xjdb43qab7hsoxmkvebbwimenyuf6z26vfijd46hria"},
      {0, 3000000, "rabin", "QmbUDpGrdzjy6LDCHzSsp5szyhumTYGzyQ47LKkHZSBNBX",
       "bafybeifrwy2soioi7ygvf5f6lmjpurixu5tuuemoif2m45xjtfcxxgj32e"},
      {0, 3000000, "rabin-16384-65536-131072", "QmVr3JydQxpL49CgozB6qxnyudfnMYh8NsK77ZwyauiaFb",
       "bafybeibvmbudf7s2ott2wezlcwmcxednlagnaiwwmd6ch73mhstkqhpozi"},
      {0, 3000000, "buzhash", "QmYGNAyjuGCWRsThAyenEpVx2o89cZ7CDfJtq2Yg25zBxf",
       "bafybeidoplli7pl76yzm2oj4nc6ijwirknmwmdf55rfki4vdanjrnlhnha"},
  };
  for (const Row& r : rows) {
    INFO(r.seed << " " << r.chunker);
    ImportOptions o;
    o.chunker = r.chunker;
    XorShiftSource s0(r.seed, r.size);
    CHECK(Build(s0, o)->cid == r.v0);
    o.cid_version = 1;
    XorShiftSource s1(r.seed, r.size);
    CHECK(Build(s1, o)->cid == r.v1);
  }
}

TEST_CASE("metadata on an empty file (7.4)") {
  auto meta_cid = [](std::optional<uint32_t> mode, std::optional<ipld::UnixTime> mtime) {
    ImportOptions o;
    o.preserve_mode = mode.has_value();
    o.preserve_mtime = mtime.has_value();
    SpanSource s(ByteSpan{});
    return Build(s, o, internal::Metadata{mode, mtime})->cid;
  };
  CHECK(meta_cid(0640, std::nullopt) == "QmQLgxypSNGNFTuUPGCecq6dDEjb6hNB5xSyVmP3cEuNtq");
  CHECK(meta_cid(std::nullopt, ipld::UnixTime{1604320482, {}}) == "QmQ6kErEW8kztQFV8vbwNU8E4dmtGsYpRiboiLxUEwibvj");
  CHECK(meta_cid(0640, ipld::UnixTime{1604320482, {}}) == "QmYkvboLsvLFcSYmqVJRxvBdYRQLroLv9kELf3LRiCqBri");
  CHECK(meta_cid(0764, std::nullopt) == "QmchD3BN8TQ3RW6jPLxSaNkqvfuj7syKhzTRmL4EpyY1Nz");
  CHECK(meta_cid(std::nullopt, ipld::UnixTime{1603539720, 54321}) == "QmaKH8H5rXBUBCX4vdxi7ktGQEL7wejV7L9rX2qpZjwncz");
  CHECK(meta_cid(0764, ipld::UnixTime{1603539720, 54321}) == "QmUkxrtBA8tPjwCYz1HrsoRfDz6NgKut3asVeHVQNH4C8L");
}

TEST_CASE("another hash forces CIDv1 and raw leaves (7.2)") {
  ImportOptions o;
  o.hash = 0x13;  // sha2-512
  SpanSource s(AsBytes("hello world"));
  CHECK(Build(s, o)->cid ==
        "bafkrgqbqt3gerhas23vuzrapkdeqf4vu2dwxp3srdj6hvg6nhsug2tgyn6mj3u23yx7utftq3i2ckw2fwdh5qmhid5qf3t35yvkc5e5ottlw6");
  o.hash = 0x00;  // identity is no block hash
  CHECK_FALSE(ResolveOptions(o));
  o.hash = 0x9999;  // unknown
  CHECK_FALSE(ResolveOptions(o));
}

TEST_CASE("metadata forbids explicit raw leaves") {
  ImportOptions o;
  o.preserve_mtime = true;
  o.raw_leaves = true;
  CHECK_FALSE(ResolveOptions(o));
  o.raw_leaves.reset();
  o.cid_version = 1;
  auto r = ResolveOptions(o);
  REQUIRE(r);
  CHECK_FALSE(r->raw_leaves);
}

}  // namespace
}  // namespace ipfsfs::writeback
