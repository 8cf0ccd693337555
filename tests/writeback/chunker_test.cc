// Chunkers against boxo's own cuts (tests/data/kubo-add-chunks.tsv, kubo-add.md §7.6).
#include "writeback/chunker.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/writeback/test_inputs.h"
#include "writeback/internal/cdc_chunker.h"

namespace ipfsfs::writeback {
namespace {

using testing::XorShiftSource;

std::vector<uint64_t> Cut(const std::string& chunker, writeback::ByteSource& source) {
  auto spec = ParseChunkerSpec(chunker);
  REQUIRE(spec);
  auto c = MakeChunker(*spec, source);
  std::vector<uint64_t> lengths;
  while (true) {
    auto next = c->Next();
    REQUIRE(next);
    if (!*next) break;
    REQUIRE(!(*next)->bytes.empty());
    lengths.push_back((*next)->bytes.size());
  }
  return lengths;
}

std::string Join(const std::vector<uint64_t>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + std::to_string(v[i]);
  return out;
}

TEST_CASE("generators match kubo-add.md 7.1 checks") {
  CHECK(ToHex(testing::XorShiftBytes(1, 16)) == "1ddd6c894bcee4471d6579e0a8a6cfab");
  CHECK(testing::Sha256Hex(testing::XorShiftBytes(1, 1048576)) ==
        "e6295f010262d74c01286728f411315662d1642467a715b3c76529fd174a191f");
  CHECK(testing::Sha256Hex(testing::XorShiftBytes(3, 5000000)) ==
        "bc9980b808ccf76749beab7ef0c9bc0db6690e1135a6d35ab08d2a4968abab2e");
  CHECK(ToHex(testing::ChaChaBytes("chunk-v0-seed", 16)) == "4a07e1b7e7b2f73a70419a292c87be55");
  CHECK(testing::Sha256Hex(testing::ChaChaBytes("chunk-v0-seed", 262144)) ==
        "7bdb75a98b03a7dead10d95621c79cfd626c7c17d2737d9319ab6af08debbfa3");
}

TEST_CASE("buzhash table checksum") {
  Bytes le;
  for (uint32_t v : internal::kBuzhashTable) {
    for (int k = 0; k < 4; ++k) le.push_back(static_cast<std::byte>(v >> (8 * k)));
  }
  CHECK(testing::Sha256Hex(le) == "5682f46a3226102a4f113d61841ab4f3e815b43ba590f1a1ecab7561369fc0cb");
}

TEST_CASE("every length list of kubo-add-chunks.tsv") {
  std::ifstream in(std::string(IPFSFS_TESTDATA_DIR) + "/kubo-add-chunks.tsv");
  REQUIRE(in);
  std::string line;
  int rows = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string input, seed, size, chunker, count, lengths;
    std::getline(fields, input, '\t');
    std::getline(fields, seed, '\t');
    std::getline(fields, size, '\t');
    std::getline(fields, chunker, '\t');
    std::getline(fields, count, '\t');
    std::getline(fields, lengths, '\t');
    INFO("input " << input << " chunker " << chunker);
    XorShiftSource source(std::stoull(seed), std::stoull(size));
    auto got = Cut(chunker, source);
    CHECK(got.size() == std::stoull(count));
    CHECK(Join(got) == lengths);
    ++rows;
  }
  CHECK(rows == 24);
}

TEST_CASE("list sha256 of section 7.6 for input C") {
  XorShiftSource source(3, 5000000);
  std::string list = Join(Cut("rabin-65536", source));
  CHECK(testing::Sha256Hex(AsBytes(list)) == "849b10f0ea7f90345e1bd3238eda62a584d1b1d958a9aa2b3ca2cadfb3b692b3");
}

TEST_CASE("fixed size: empty input, remainder, exact multiple") {
  Bytes data(1000, std::byte{7});
  SpanSource empty(ByteSpan{});
  CHECK(Cut("size-100", empty).empty());
  SpanSource a(ByteSpan(data).first(999));
  CHECK(Join(Cut("size-100", a)) == "100,100,100,100,100,100,100,100,100,99");
  SpanSource b(data);
  CHECK(Cut("size-500", b) == std::vector<uint64_t>{500, 500});
  SpanSource c(ByteSpan(data).first(1));
  CHECK(Cut("default", c) == std::vector<uint64_t>{1});
}

TEST_CASE("degenerate rabin emits everything as one chunk") {
  Bytes data = testing::XorShiftBytes(5, 100000);
  SpanSource s(data);
  CHECK(Cut("rabin-30", s) == std::vector<uint64_t>{100000});
  SpanSource t(data);
  CHECK(Cut("rabin-48", t).size() > 1);
}

TEST_CASE("chunker strings: boxo's acceptance rules") {
  auto ok = [](std::string_view s) { return ParseChunkerSpec(s).has_value(); };
  CHECK(ok(""));
  CHECK(ok("default"));
  CHECK(ok("size-1"));
  CHECK(ok("size-2096896"));
  CHECK_FALSE(ok("size-2096897"));
  CHECK_FALSE(ok("size-0"));
  CHECK_FALSE(ok("size"));
  CHECK_FALSE(ok("size--5"));
  CHECK_FALSE(ok("size-x"));
  CHECK(ok("rabin"));
  CHECK(ok("rabin-1397931"));
  CHECK_FALSE(ok("rabin-1397932"));
  CHECK(ok("rabin-min:16-avg:32-max:64"));
  CHECK(ok("rabin-16-32-64"));
  CHECK_FALSE(ok("rabin-15-32-64"));
  CHECK_FALSE(ok("rabin-32-32-64"));
  CHECK_FALSE(ok("rabin-16-64-64"));
  CHECK_FALSE(ok("rabin-16-32-2096897"));
  CHECK_FALSE(ok("rabin-avg:16-avg:32-max:64"));
  CHECK_FALSE(ok("rabin-16-32"));
  CHECK_FALSE(ok("rabin-1-2-3-4"));
  CHECK(ok("buzhash"));
  CHECK(ok("buzhash-foo"));
  CHECK_FALSE(ok("Size-5"));
  CHECK_FALSE(ok("rabinx"));
  CHECK_FALSE(ok("fixed-5"));
  auto r = ParseChunkerSpec("rabin-65536");
  REQUIRE(r);
  CHECK(r->min == 21845);
  CHECK(r->avg == 65536);
  CHECK(r->max == 98304);
}

}  // namespace
}  // namespace ipfsfs::writeback
