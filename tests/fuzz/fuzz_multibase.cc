// Fuzzes multibase decoding and round trips every base over arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ipld/multibase.h"
#include "tests/fuzz/fuzz_check.h"

using ipfsfs::ByteSpan;
using ipfsfs::Bytes;
using ipfsfs::ipld::Multibase;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ByteSpan bytes(reinterpret_cast<const std::byte*>(data), size);

  // Decoding untrusted text: if it decodes, encoding in the same base decodes
  // to the same bytes (the text itself may differ: case, padding).
  auto decoded = ipfsfs::ipld::MultibaseDecode(text);
  if (decoded) {
    auto base = ipfsfs::ipld::MultibaseFromPrefix(text[0]);
    FUZZ_CHECK(base.has_value());
    auto again = ipfsfs::ipld::MultibaseDecode(ipfsfs::ipld::MultibaseEncode(*base, *decoded));
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(*again == *decoded);
  }
  auto b58 = ipfsfs::ipld::Base58BtcDecode(text);
  if (b58) {
    auto again = ipfsfs::ipld::Base58BtcDecode(ipfsfs::ipld::Base58BtcEncode(*b58));
    FUZZ_CHECK(again.has_value() && *again == *b58);
  }

  // Encoding arbitrary bytes: every base round-trips exactly (keep it cheap:
  // base58/base36 are quadratic).
  if (size <= 128) {
    for (Multibase base : ipfsfs::ipld::AllMultibases()) {
      std::string encoded = ipfsfs::ipld::MultibaseEncode(base, bytes);
      FUZZ_CHECK(!encoded.empty() && encoded[0] == static_cast<char>(base));
      auto back = ipfsfs::ipld::MultibaseDecode(encoded);
      FUZZ_CHECK(back.has_value());
      FUZZ_CHECK(*back == Bytes(bytes.begin(), bytes.end()));
      auto payload = ipfsfs::ipld::DecodeWithoutPrefix(base, ipfsfs::ipld::EncodeWithoutPrefix(base, bytes));
      FUZZ_CHECK(payload.has_value() && *payload == *back);
    }
  }
  return 0;
}
