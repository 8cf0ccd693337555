// DAG-CBOR values: a strict reader and a canonical writer (ipld/ipld specs/codecs/dag-cbor).
//
// The reader takes only what DAG-CBOR allows: definite lengths, shortest integer
// and length heads, text keys without duplicates, tag 42 (a CID) and no other
// tag, 64-bit floats that are neither NaN nor infinite, and no "undefined". Map
// key order is not enforced (signatures cover the received bytes, so a reader
// gains nothing by refusing). The writer sorts keys as DAG-CBOR requires
// (shorter first, then bytewise). Nesting is bounded so hostile input cannot
// exhaust the stack. A DagCborValue owns everything it holds; pure functions,
// thread-safe.
#ifndef IPFSFS_IPLD_DAG_CBOR_H_
#define IPFSFS_IPLD_DAG_CBOR_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "ipld/cid.h"

namespace ipfsfs::ipld {

inline constexpr int kMaxDagCborDepth = 64;

struct DagCborValue {
  enum class Kind { kUint, kNegInt, kBytes, kText, kArray, kMap, kLink, kBool, kNull, kFloat };

  Kind kind = Kind::kNull;
  uint64_t uint = 0;               // kUint: the value; kNegInt: the value is -1 - uint
  bool boolean = false;            // kBool
  double number = 0;               // kFloat
  Bytes bytes;                     // kBytes
  std::string text;                // kText
  Cid link;                        // kLink
  std::vector<DagCborValue> items;  // kArray; kMap: the values, keys[i] names items[i]
  std::vector<std::string> keys;   // kMap

  static DagCborValue Uint(uint64_t v);
  static DagCborValue Int(int64_t v);
  static DagCborValue ByteString(ByteSpan b);
  static DagCborValue TextString(std::string_view t);
  static DagCborValue Map();

  // kMap: appends an entry (the writer sorts, so order of calls is free).
  DagCborValue& Add(std::string_view key, DagCborValue value);
  // kMap: the value under `key`, or nullptr.
  const DagCborValue* Find(std::string_view key) const;

  std::string_view KindName() const;
};

// Decodes exactly one value filling `data`. kCorrupt naming the offence and
// its byte offset.
[[nodiscard]] Result<DagCborValue> DecodeDagCbor(ByteSpan data);

// Canonical DAG-CBOR bytes of `value`.
Bytes EncodeDagCbor(const DagCborValue& value);

}  // namespace ipfsfs::ipld

#endif  // IPFSFS_IPLD_DAG_CBOR_H_
