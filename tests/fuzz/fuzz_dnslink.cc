// Fuzzes DNSLink TXT values and names (untrusted DNS data): what survives is
// an /ipfs/ or /ipns/ path that cannot climb above the root it names.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "resolver/dnslink_entry.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto path = ipfsfs::resolver::ParseDnsLinkEntry(text)) {
    FUZZ_CHECK(path->rfind("/ipfs/", 0) == 0 || path->rfind("/ipns/", 0) == 0);
    std::string segments = *path + "/";
    FUZZ_CHECK(segments.find("/../") == std::string::npos);
    FUZZ_CHECK(segments.find("/./") == std::string::npos);
  }
  if (auto name = ipfsfs::resolver::SplitDnsLinkName(text)) {
    FUZZ_CHECK(!name->domain.empty() && name->domain.size() <= 253);
  }
  return 0;
}
