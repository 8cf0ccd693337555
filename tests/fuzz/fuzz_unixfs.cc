// Fuzzes the UnixFS Data decoder, alone and inside a dag-pb node. Property: a
// message that decodes re-encodes to bytes that decode to the same fields and
// re-encode identically.
#include <cstddef>
#include <cstdint>

#include "ipld/dag_pb.h"
#include "ipld/unixfs.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

void CheckUnixfs(ipfsfs::ByteSpan bytes) {
  auto data = ipfsfs::ipld::DecodeUnixfsData(bytes);
  if (!data) {
    FUZZ_CHECK(data.error().code == ipfsfs::ErrorCode::kCorrupt);
    return;
  }
  (void)data->ContentSize();
  ipfsfs::Bytes encoded = ipfsfs::ipld::EncodeUnixfsData(*data);
  auto again = ipfsfs::ipld::DecodeUnixfsData(encoded);
  FUZZ_CHECK(again.has_value());
  // Zero nanoseconds are not written (unixfs.h), so they read back absent.
  ipfsfs::ipld::UnixfsData expected = *data;
  if (expected.mtime && expected.mtime->nanos == 0u) expected.mtime->nanos.reset();
  FUZZ_CHECK(*again == expected);
  FUZZ_CHECK(ipfsfs::ipld::EncodeUnixfsData(*again) == encoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ipfsfs::ByteSpan input(reinterpret_cast<const std::byte*>(data), size);
  CheckUnixfs(input);
  auto node = ipfsfs::ipld::DecodePbNode(input);
  if (node && node->data) CheckUnixfs(*node->data);
  return 0;
}
