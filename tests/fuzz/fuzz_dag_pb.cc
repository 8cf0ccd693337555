// Fuzzes the dag-pb decoder. Property: a node that decodes re-encodes to
// canonical bytes that decode to an equal node and re-encode identically.
#include <cstddef>
#include <cstdint>

#include "ipld/dag_pb.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ipfsfs::ByteSpan input(reinterpret_cast<const std::byte*>(data), size);
  auto node = ipfsfs::ipld::DecodePbNode(input);
  if (!node) {
    FUZZ_CHECK(node.error().code == ipfsfs::ErrorCode::kCorrupt);
    return 0;
  }
  ipfsfs::Bytes encoded = ipfsfs::ipld::EncodePbNode(*node);
  auto again = ipfsfs::ipld::DecodePbNode(encoded);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == *node);
  FUZZ_CHECK(ipfsfs::ipld::EncodePbNode(*again) == encoded);
  size_t link_bytes = 0;
  for (const auto& link : node->links) link_bytes += ipfsfs::ipld::EncodedPbLinkSize(link);
  FUZZ_CHECK(link_bytes <= encoded.size());
  return 0;
}
