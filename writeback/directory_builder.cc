#include "writeback/directory_builder.h"

#include <algorithm>
#include <map>

#include "ipld/hamt.h"

namespace ipfsfs::writeback {

using internal::LinkRef;
using internal::Metadata;

std::optional<uint64_t> DirectoryBuilder::Estimate(const std::vector<DirEntry>& entries, const Metadata& meta) const {
  uint64_t e = 0;
  switch (options_.options.hamt_estimate) {
    case HamtEstimate::kDisabled:
      return std::nullopt;
    case HamtEstimate::kLinks:
      for (const DirEntry& d : entries) e += d.name.size() + d.cid.EncodedLength();
      return e;
    case HamtEstimate::kBlock:
      e = internal::DirectoryDataFieldSize(meta);
      for (const DirEntry& d : entries) e += internal::EncodedLinkSize(d.cid.EncodedLength(), d.name.size(), d.tsize);
      return e;
  }
  return std::nullopt;
}

Result<DagRef> DirectoryBuilder::Build(std::vector<DirEntry> entries, const Metadata& meta) {
  if (!Shards(entries, meta)) return Basic(entries, meta);
  IPFSFS_ASSIGN_OR_RETURN(unsigned bits, ipld::HamtBitsForFanout(options_.options.hamt_fanout));
  std::vector<HashedEntry> all;
  all.reserve(entries.size());
  for (const DirEntry& d : entries) all.push_back(HashedEntry{&d, ipld::HamtHash(d.name)});
  return Shard(all, 0, bits, meta);
}

Result<DagRef> DirectoryBuilder::Basic(std::vector<DirEntry>& entries, const Metadata& meta) {
  std::sort(entries.begin(), entries.end(), [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  std::vector<LinkRef> links;
  links.reserve(entries.size());
  uint64_t tsize = 0;
  for (const DirEntry& d : entries) {
    links.push_back(LinkRef{&d.cid, d.name, d.tsize});
    tsize += d.tsize;
  }
  return Emit(internal::EncodeDirectory(links, meta), tsize);
}

Result<DagRef> DirectoryBuilder::Shard(const std::vector<HashedEntry>& entries, unsigned level, unsigned bits,
                                       const Metadata& meta) {
  const uint64_t fanout = options_.options.hamt_fanout;
  std::map<unsigned, std::vector<HashedEntry>> slots;
  for (const HashedEntry& e : entries) {
    IPFSFS_ASSIGN_OR_RETURN(unsigned slot, ipld::HamtIndex(e.hash, level, bits));
    slots[slot].push_back(e);
  }
  ipld::HamtBitfield bitfield(fanout);
  std::vector<std::string> names;
  std::vector<DagRef> children;  // sub-shards, kept alive for the links
  names.reserve(slots.size());
  children.reserve(slots.size());
  std::vector<LinkRef> links;
  uint64_t tsize = 0;
  for (auto& [slot, group] : slots) {
    bitfield.Set(slot);
    std::string prefix = ipld::HamtSlotPrefix(slot, fanout);
    if (group.size() == 1) {
      const DirEntry& d = *group[0].entry;
      names.push_back(prefix + d.name);
      links.push_back(LinkRef{&d.cid, names.back(), d.tsize});
    } else {
      IPFSFS_ASSIGN_OR_RETURN(DagRef child, Shard(group, level + 1, bits, Metadata{}));
      children.push_back(std::move(child));
      names.push_back(prefix);
      links.push_back(LinkRef{&children.back().cid, names.back(), children.back().tsize});
    }
    tsize += links.back().tsize;
  }
  Bytes bf = bitfield.Encode();
  return Emit(internal::EncodeHamtShard(links, bf, fanout, meta), tsize);
}

Result<DagRef> DirectoryBuilder::Symlink(std::string_view target, const Metadata& meta) {
  return Emit(internal::EncodeSymlink(target, meta), 0);
}

Result<DagRef> DirectoryBuilder::Emit(Bytes block, uint64_t links_tsize) {
  ipld::Cid cid = cids_.Make(ipld::Codec::kDagPb, block);
  if (!cid.hash().is_identity()) IPFSFS_RETURN_IF_ERROR(sink_.Put(cid, block));
  return DagRef{std::move(cid), links_tsize + block.size(), 0};
}

}  // namespace ipfsfs::writeback
