// Options of a UnixFS import, with kubo's defaults (kubo-add.md §1), and the
// IPIP-499 profiles that preset them (§1.1). Plain values, thread-compatible.
#ifndef IPFSFS_WRITEBACK_IMPORT_OPTIONS_H_
#define IPFSFS_WRITEBACK_IMPORT_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "writeback/chunker.h"

namespace ipfsfs::writeback {

enum class Layout { kBalanced, kTrickle };

// How a directory's size is estimated for the HAMT switch (§4.2).
enum class HamtEstimate { kLinks, kBlock, kDisabled };

struct ImportOptions {
  int cid_version = 0;                     // 0 or 1; another hash than sha2-256 makes it 1
  uint64_t hash = 0x12;                    // multihash code of block hashes (sha2-256)
  std::optional<bool> raw_leaves;          // unset: on exactly when cid_version is 1
  std::string chunker = "size-262144";     // a --chunker string
  Layout layout = Layout::kBalanced;
  size_t max_links = 174;                  // links per file node
  uint64_t hamt_threshold = 262144;        // shard when the estimate is strictly greater
  HamtEstimate hamt_estimate = HamtEstimate::kLinks;
  uint64_t hamt_fanout = 256;              // power of two, 8..1024
  bool inline_blocks = false;              // --inline: identity CIDs for small blocks
  size_t inline_limit = 32;                // bytes, at most 128
  bool preserve_mode = false;              // store lstat permission bits
  bool preserve_mtime = false;             // store lstat mtime
  std::optional<uint32_t> mode;            // --mode: this mode on every file and directory
  std::optional<int64_t> mtime;            // --mtime: these seconds on every entry
  uint32_t mtime_nsecs = 0;                // --mtime-nsecs, with mtime only
  bool hidden = false;                     // include dotfiles below the given paths
  bool wrap = false;                       // -w: wrap the arguments in a directory
  std::vector<std::string> ignore_rules;   // gitignore lines (--ignore-rules-path's, then --ignore's)
  bool empty_dirs = true;                  // false: leave out empty subdirectories (never an argument)
  bool dereference_args = false;           // symlinks named as arguments are followed
  bool dereference_symlinks = false;       // every symlink is followed (arguments and below)
  unsigned threads = 0;                    // hashing threads; 0 = one per core
  size_t max_in_flight_bytes = 32u << 20;  // chunk bytes read ahead of hashing
};

// Presets of IPIP-499: "unixfs-v0-2015" (alias "legacy-cid-v0") and
// "unixfs-v1-2025". kInvalidArgument for another name.
[[nodiscard]] Result<ImportOptions> ProfileOptions(std::string_view name);

// The options after kubo's interactions are applied (§1), checked.
struct ResolvedOptions {
  ImportOptions options;
  ChunkerSpec chunker;
  bool raw_leaves = false;
  bool metadata = false;  // mode or mtime stored (preserved or fixed)
};

// kInvalidArgument for a bad chunker, CID version, a hash we cannot compute, fanout, inline limit over
// 128, a mode over 07777, nanoseconds without mtime or over 999999999, or
// --raw-leaves=true together with metadata.
[[nodiscard]] Result<ResolvedOptions> ResolveOptions(const ImportOptions& options);

}  // namespace ipfsfs::writeback

#endif  // IPFSFS_WRITEBACK_IMPORT_OPTIONS_H_
