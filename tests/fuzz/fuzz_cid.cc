// Fuzzes Cid::FromBytes / Cid::Read on bytes and Cid::Parse on text.
// Properties: a CID that parses re-encodes (binary and every text base) to
// something that parses back to an equal CID.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ipld/cid.h"
#include "ipld/multibase.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using ipfsfs::ByteSpan;
using ipfsfs::ipld::Cid;
using ipfsfs::ipld::Multibase;

void CheckRoundTrips(const Cid& cid) {
  ipfsfs::Bytes bytes = cid.ToBytes();
  FUZZ_CHECK(bytes.size() == cid.EncodedLength());
  auto again = Cid::FromBytes(bytes);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == cid);
  FUZZ_CHECK(again->ToBytes() == bytes);

  auto text = Cid::Parse(cid.ToString());
  FUZZ_CHECK(text.has_value());
  FUZZ_CHECK(*text == cid);

  for (Multibase base : ipfsfs::ipld::AllMultibases()) {
    auto parsed = Cid::Parse(cid.ToString(base));
    FUZZ_CHECK(parsed.has_value());
    // v0 prints bare only in base58btc; in other bases it prints as v1.
    if (cid.version() == 0 && base != Multibase::kBase58Btc) {
      FUZZ_CHECK(*parsed == cid.ToV1());
    } else {
      FUZZ_CHECK(*parsed == cid);
    }
  }
  auto v0 = cid.ToV0();
  if (v0) FUZZ_CHECK(v0->ToV1().hash() == cid.hash());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan input(reinterpret_cast<const std::byte*>(data), size);

  auto binary = Cid::FromBytes(input);
  if (binary) {
    CheckRoundTrips(*binary);
    // Only minimal varints are accepted, so the binary form is unique.
    FUZZ_CHECK(binary->ToBytes() == ipfsfs::Bytes(input.begin(), input.end()));
  }

  ByteSpan rest = input;
  auto front = Cid::Read(rest);
  if (front) {
    FUZZ_CHECK(rest.size() + front->EncodedLength() == input.size());
    CheckRoundTrips(*front);
  } else {
    FUZZ_CHECK(rest.size() == input.size());  // untouched on error
  }

  auto text = Cid::Parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (text) CheckRoundTrips(*text);
  return 0;
}
