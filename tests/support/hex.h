// Hex test vectors as bytes: Hex("0a 02 08 01") fails the running Catch2 test
// (REQUIRE) on a malformed vector instead of returning an optional the test
// would have to unwrap. Header-only; needs <catch2/catch.hpp>, so tests only.
#ifndef IPFSFS_TESTS_SUPPORT_HEX_H_
#define IPFSFS_TESTS_SUPPORT_HEX_H_

#include <string_view>

#include <catch2/catch.hpp>

#include "base/bytes.h"

namespace ipfsfs::testing {

inline Bytes Hex(std::string_view hex) {
  auto bytes = FromHex(hex);
  REQUIRE(bytes.has_value());
  return *bytes;
}

}  // namespace ipfsfs::testing

#endif  // IPFSFS_TESTS_SUPPORT_HEX_H_
