#include "writeback/import_options.h"

#include <bit>

#include "ipld/multihash.h"

namespace ipfsfs::writeback {

Result<ImportOptions> ProfileOptions(std::string_view name) {
  ImportOptions o;
  if (name == "unixfs-v0-2015" || name == "legacy-cid-v0") {
    o.cid_version = 0;
    o.raw_leaves = false;
    return o;
  }
  if (name == "unixfs-v1-2025") {
    o.cid_version = 1;
    o.raw_leaves = true;
    o.chunker = "size-1048576";
    o.max_links = 1024;
    o.hamt_estimate = HamtEstimate::kBlock;
    return o;
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "unknown profile \"" + std::string(name) + "\" (unixfs-v0-2015 or unixfs-v1-2025)");
}

Result<ResolvedOptions> ResolveOptions(const ImportOptions& options) {
  ResolvedOptions r;
  r.options = options;
  if (options.cid_version != 0 && options.cid_version != 1) {
    return MakeError(ErrorCode::kInvalidArgument, "cid version must be 0 or 1");
  }
  if (options.hash != static_cast<uint64_t>(ipld::HashCode::kSha2_256)) {
    // kubo: only sha2-256 dag-pb nodes can be CIDv0 (kubo-add.md §1).
    auto probe = ipld::Multihash::Sum(options.hash, ByteSpan{});
    if (!probe || options.hash == static_cast<uint64_t>(ipld::HashCode::kIdentity) ||
        probe->digest().size() < 20) {
      return MakeError(ErrorCode::kInvalidArgument, "hash function not usable for blocks: " +
                                                        std::string(ipld::HashName(options.hash).value_or("unknown")));
    }
    r.options.cid_version = 1;
  }
  IPFSFS_ASSIGN_OR_RETURN(r.chunker, ParseChunkerSpec(options.chunker));
  if (options.max_links < 2) return MakeError(ErrorCode::kInvalidArgument, "max links must be at least 2");
  if (!std::has_single_bit(options.hamt_fanout) || options.hamt_fanout < 8 || options.hamt_fanout > 1024) {
    return MakeError(ErrorCode::kInvalidArgument, "hamt fanout must be a power of two from 8 to 1024");
  }
  if (options.inline_blocks && options.inline_limit > 128) {
    return MakeError(ErrorCode::kInvalidArgument, "inline limit over the maximum of 128");
  }
  if (options.mode && *options.mode > 07777) return MakeError(ErrorCode::kInvalidArgument, "mode over 07777");
  if (options.mtime_nsecs != 0 && !options.mtime) {
    return MakeError(ErrorCode::kInvalidArgument, "mtime nanoseconds need an mtime");
  }
  if (options.mtime_nsecs > 999999999) return MakeError(ErrorCode::kInvalidArgument, "mtime nanoseconds over 999999999");
  r.metadata = options.preserve_mode || options.preserve_mtime || options.mode || options.mtime;
  if (r.metadata) {
    if (options.raw_leaves.value_or(false)) {
      return MakeError(ErrorCode::kInvalidArgument, "raw leaves cannot carry mode or mtime metadata");
    }
    r.raw_leaves = false;
  } else {
    r.raw_leaves = options.raw_leaves.value_or(r.options.cid_version == 1);
  }
  return r;
}

}  // namespace ipfsfs::writeback
