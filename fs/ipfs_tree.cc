#include "fs/ipfs_tree.h"

#include <utility>

namespace ipfsfs::fs {

IpfsTree::IpfsTree(resolver::Resolver& resolver, IpfsTreeOptions options)
    : resolver_(resolver), options_(std::move(options)) {}

TreeCaching IpfsTree::caching() const {
  TreeCaching c;
  c.entry_timeout = options_.attr_timeout;
  c.attr_timeout = options_.attr_timeout;
  c.negative_timeout = options_.attr_timeout;
  c.top_negative_timeout = options_.top_negative_timeout;
  c.keep_cache = true;
  c.cache_readdir = true;
  return c;
}

void IpfsTree::LookupTop(std::string name, resolver::NodeCallback done) {
  auto cid = ipld::Cid::Parse(name);
  if (!cid) {
    return done(MakeError(ErrorCode::kNotFound, "'" + name + "' is not a CID: " + cid.error().message));
  }
  resolver_.GetNode(*cid, std::move(done));
}

std::vector<std::string> IpfsTree::ListTop() {
  std::vector<std::string> names;
  if (!options_.pinned_roots) return names;
  for (const auto& cid : options_.pinned_roots()) names.push_back(cid.ToString());
  return names;
}

void IpfsTree::GetNode(const resolver::NodeInfo& info, resolver::NodeCallback done) {
  resolver_.GetNode(info.cid, std::move(done));
}

void IpfsTree::Lookup(resolver::NodePtr dir, std::string name, resolver::NodeCallback done) {
  resolver_.FindChild(std::move(dir), std::move(name), [this, done = std::move(done)](Result<ipld::Cid> cid) {
    if (!cid) return done(tl::unexpected(std::move(cid).error()));
    // The directory names this child, so a child nobody serves is an I/O
    // error, not a missing name.
    resolver_.GetNode(*cid, [done, cid = *cid](Result<resolver::NodePtr> node) {
      if (!node && node.error().code == ErrorCode::kNotFound) {
        return done(MakeError(ErrorCode::kUnavailable, cid.ToString() + ": " + node.error().message));
      }
      done(std::move(node));
    });
  });
}

}  // namespace ipfsfs::fs
