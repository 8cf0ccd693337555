// Fuzzes the DNS wire parser (untrusted replies from c-ares and DoH servers):
// any bytes give a verdict, never a crash or an unbounded walk.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "net/internal/dns_message.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ipfsfs::ByteSpan message(reinterpret_cast<const std::byte*>(data), size);
  for (std::string_view name : {"_dnslink.example.com", "example.com"}) {
    auto answer = ipfsfs::net::internal::ParseTxtResponse(message, name);
    if (answer) {
      // CNAMEs are followed at most 16 deep (the header's bound).
      FUZZ_CHECK(answer->cnames.size() <= 16);
    }
  }
  // Names from the input: a query encodes or is refused, and fits one packet.
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto query = ipfsfs::net::internal::EncodeTxtQuery(text, 0x1234);
  if (query) FUZZ_CHECK(query->size() <= 512);
  return 0;
}
