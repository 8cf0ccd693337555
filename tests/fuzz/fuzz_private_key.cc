// Fuzzes the libp2p private key decoders (the keystore's protobuf files and
// imported PEM files). Properties: a key that decodes re-encodes to bytes
// that decode to the same key, and signs what its public key verifies.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ipld/libp2p_private_key.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using namespace ipfsfs;
using namespace ipfsfs::ipld;

void CheckKey(const PrivateKey& key) {
  auto again = PrivateKey::Decode(key.Encode());
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->Public() == key.Public());
  FUZZ_CHECK(again->Encode() == key.Encode());
  Bytes message = ToBytes("ipns-signature:fuzz");
  auto sig = key.Sign(message);
  FUZZ_CHECK(sig.has_value());
  FUZZ_CHECK(key.Public().Verify(message, *sig).has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan input(reinterpret_cast<const std::byte*>(data), size);
  if (auto key = PrivateKey::Decode(input)) CheckKey(*key);
  if (auto key = PrivateKey::FromPkcs8Pem(std::string_view(reinterpret_cast<const char*>(data), size))) CheckKey(*key);
  return 0;
}
