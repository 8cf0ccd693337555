#include "ipld/multibase.h"

#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

using namespace ipfsfs;
using namespace ipfsfs::ipld;

namespace {

struct Row {
  std::string base;
  std::string text;
};

// Reads a multiformats/multibase tests CSV: first line `encoding, "<input>"`,
// then `<base>, "<encoded>"`. \x00 escapes in the input are decoded.
std::pair<Bytes, std::vector<Row>> ReadCsv(const std::string& name) {
  std::ifstream file(std::string(IPFSFS_TESTDATA_DIR "/multibase/") + name);
  REQUIRE(file);
  auto quoted = [](const std::string& line) {
    auto a = line.find('"');
    auto b = line.rfind('"');
    return line.substr(a + 1, b - a - 1);
  };
  std::string line;
  std::getline(file, line);
  std::string input = quoted(line);
  Bytes bytes;
  for (size_t i = 0; i < input.size(); ++i) {
    if (input.compare(i, 4, "\\x00") == 0) {
      bytes.push_back(std::byte{0});
      i += 3;
    } else {
      bytes.push_back(static_cast<std::byte>(input[i]));
    }
  }
  std::vector<Row> rows;
  while (std::getline(file, line)) {
    if (line.empty()) continue;
    rows.push_back({line.substr(0, line.find(',')), quoted(line)});
  }
  return {bytes, rows};
}

}  // namespace

TEST_CASE("multibase spec CSVs encode and decode exactly", "[multibase]") {
  auto file = GENERATE(as<std::string>{}, "basic.csv", "leading_zero.csv", "two_leading_zeros.csv");
  auto [input, rows] = ReadCsv(file);
  int checked = 0;
  for (const auto& row : rows) {
    auto base = MultibaseFromName(row.base);
    if (!base) continue;  // base2/8/10, base32hex, base32z, base58flickr: not supported
    INFO(file << " " << row.base);
    CHECK(MultibaseEncode(*base, input) == row.text);
    auto decoded = MultibaseDecode(row.text);
    REQUIRE(decoded);
    CHECK(*decoded == input);
    ++checked;
  }
  CHECK(checked == 13);
}

TEST_CASE("multibase decodes base16/32/36 case-insensitively", "[multibase]") {
  auto [ignored, rows] = ReadCsv("case_insensitivity.csv");
  int checked = 0;
  for (const auto& row : rows) {
    if (!MultibaseFromName(row.base)) continue;
    INFO(row.base);
    auto decoded = MultibaseDecode(row.text);
    REQUIRE(decoded);
    CHECK(AsText(*decoded) == "hello world");
    ++checked;
  }
  CHECK(checked == 8);
}

TEST_CASE("multibase rejects bad prefixes and characters", "[multibase]") {
  // js-multiformats: prefix + "^!@$%!#$%@#y" must fail for every base.
  for (Multibase base : AllMultibases()) {
    std::string text = std::string(1, static_cast<char>(base)) + "^!@$%!#$%@#y";
    INFO(text);
    auto r = MultibaseDecode(text);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
    CHECK_THAT(r.error().message, Catch::Contains("invalid") && Catch::Contains("character"));
  }
  CHECK_THAT(MultibaseDecode("9abc").error().message, Catch::Contains("unknown multibase prefix '9'"));
  CHECK_FALSE(MultibaseDecode(""));
  CHECK_FALSE(MultibaseDecode("z0OIl"));       // not in the bitcoin alphabet
  CHECK_FALSE(MultibaseDecode("bpfsxgidnmf1"));  // '1' is not base32
  CHECK_FALSE(MultibaseDecode("fabc"));        // odd hex length
}

TEST_CASE("multibase round-trips random data in every base", "[multibase]") {
  uint64_t state = 88172645463325252ULL;
  for (int len : {0, 1, 2, 3, 4, 5, 31, 32, 33, 34, 36, 64, 100}) {
    Bytes data;
    for (int i = 0; i < len; ++i) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      data.push_back(static_cast<std::byte>(i % 7 == 0 ? 0 : state & 0xff));
    }
    for (Multibase base : AllMultibases()) {
      INFO(MultibaseName(base) << " len " << len);
      auto back = MultibaseDecode(MultibaseEncode(base, data));
      REQUIRE(back);
      CHECK(*back == data);
    }
  }
}
