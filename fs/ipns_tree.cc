#include "fs/ipns_tree.h"

#include <sys/stat.h>

#include <algorithm>
#include <utility>

#include "fs/logger.h"
#include "ipld/rfc3339.h"

namespace ipfsfs::fs {
namespace {

// ipns/<name>: the content node under it and what it was resolved to.
struct IpnsRoot : TreeNode {
  TreeNodePtr content;  // the IpfsTree's node of the value
  std::string name;
  std::string path;  // "/ipfs/<cid>[/p]": two answers are the same node when this matches
  std::optional<uint64_t> sequence;
  std::optional<ipld::Timestamp> validity;
  bool SameIdentity(const TreeNode& newer) const override {
    auto* other = dynamic_cast<const IpnsRoot*>(&newer);
    return other && other->path == path;
  }
};

// The top directory's listing: the names known when it was opened.
struct IpnsTop : TreeHandle {
  std::vector<std::string> names;
};

// The IpfsTree's node for a node of this tree.
TreeNodePtr Content(const TreeNodePtr& node) {
  if (auto* root = dynamic_cast<const IpnsRoot*>(node.get())) return root->content;
  return node;
}

std::vector<std::string> Components(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace

IpnsTree::IpnsTree(resolver::Names& names, std::unique_ptr<IpfsTree> content, IpnsTreeOptions options)
    : names_(names), content_(std::move(content)), options_(std::move(options)) {}

void IpnsTree::Lookup(const TreeNodePtr& dir, std::string name, Callback<TreeEntry> done) {
  if (dir) return content_->Lookup(Content(dir), std::move(name), std::move(done));
  names_.Resolve(name, [this, name, done = std::move(done)](Result<resolver::NameResolution> r) {
    auto negative = [this] {
      TreeEntry e;
      e.entry_timeout = options_.negative_timeout;
      return e;
    };
    if (!r) {
      ErrorCode c = r.error().code;
      if (c == ErrorCode::kUnavailable || c == ErrorCode::kTimeout || c == ErrorCode::kCancelled ||
          c == ErrorCode::kInternal) {
        return done(tl::unexpected(r.error()));  // EIO, logged where it becomes one
      }
      Logger()->warn("ipns/{}: {}", name, r.error().message);
      return done(negative());
    }
    // "/ipfs/<cid>/a/b": the CID, then each name below it.
    auto parts = Components(r->path);
    if (parts.size() < 2 || parts[0] != "ipfs") {
      Logger()->warn("ipns/{}: value {} is not an /ipfs/ path", name, r->path);
      return done(negative());
    }
    std::string cid = parts[1];
    std::vector<std::string> rest(parts.begin() + 2, parts.end());
    auto resolution = std::make_shared<resolver::NameResolution>(std::move(*r));
    content_->Lookup(
        nullptr, cid, [this, name, rest = std::move(rest), resolution, negative, done](Result<TreeEntry> top) mutable {
          if (!top) return done(tl::unexpected(top.error()));
          if (!top->node) {
            Logger()->warn("ipns/{}: {} is not a CID that can be fetched", name, resolution->path);
            return done(negative());
          }
          Walk(std::move(*top), std::move(rest), [this, name, resolution, negative, done](Result<TreeEntry> e) {
            if (!e) return done(tl::unexpected(e.error()));
            if (!e->node) {
              Logger()->warn("ipns/{}: {} does not exist", name, resolution->path);
              return done(negative());
            }
            auto root = std::make_shared<IpnsRoot>();
            root->content = e->node;
            root->name = name;
            root->path = resolution->path;
            root->sequence = resolution->sequence;
            root->validity = resolution->validity;
            TreeEntry out = std::move(*e);
            out.node = std::move(root);
            out.immutable = false;
            // The kernel keeps the entry only while the value is fresh.
            auto left = std::chrono::duration<double>(resolution->expires - options_.clock()).count();
            out.entry_timeout = out.attr_timeout = std::max(0.0, left);
            done(std::move(out));
          });
        });
  });
}

void IpnsTree::Walk(TreeEntry at, std::vector<std::string> rest, Callback<TreeEntry> done) {
  if (rest.empty() || !at.node) return done(std::move(at));
  std::string next = rest.front();
  rest.erase(rest.begin());
  content_->Lookup(at.node, std::move(next), [this, rest = std::move(rest), done](Result<TreeEntry> e) mutable {
    if (!e) return done(tl::unexpected(e.error()));
    Walk(std::move(*e), std::move(rest), std::move(done));
  });
}

void IpnsTree::ReadLink(const TreeNodePtr& node, Callback<std::string> done) {
  content_->ReadLink(Content(node), std::move(done));
}

void IpnsTree::Open(const TreeNodePtr& node, int flags, Callback<TreeOpened> done) {
  content_->Open(Content(node), flags, std::move(done));
}

void IpnsTree::Read(const TreeHandlePtr& file, uint64_t offset, size_t size, Callback<ReadReply> done) {
  content_->Read(file, offset, size, std::move(done));
}

void IpnsTree::Release(const TreeHandlePtr& file) { content_->Release(file); }

void IpnsTree::OpenDir(const TreeNodePtr& dir, Callback<TreeOpened> done) {
  if (dir) return content_->OpenDir(Content(dir), std::move(done));
  auto handle = std::make_shared<IpnsTop>();
  for (const auto& known : names_.Known()) handle->names.push_back(known.name);
  done(TreeOpened{handle, false});
}

void IpnsTree::ReadDir(const TreeHandlePtr& dir, uint64_t first, size_t max, Callback<std::vector<TreeDirEntry>> done) {
  auto* top = dynamic_cast<IpnsTop*>(dir.get());
  if (!top) return content_->ReadDir(dir, first, max, std::move(done));
  std::vector<TreeDirEntry> out;
  for (size_t i = first; i < top->names.size() && out.size() < max; ++i) {
    out.push_back(TreeDirEntry{top->names[i], 0, std::nullopt});  // bare: a lookup resolves it
  }
  done(std::move(out));
}

void IpnsTree::ReleaseDir(const TreeHandlePtr& dir) {
  if (!dynamic_cast<IpnsTop*>(dir.get())) content_->ReleaseDir(dir);
}

void IpnsTree::GetXattr(const TreeNodePtr& node, std::string name, Callback<std::string> done) {
  if (auto* root = dynamic_cast<const IpnsRoot*>(node.get())) {
    if (name == "user.ipns.sequence") {
      if (!root->sequence) return done(MakeError(ErrorCode::kNotFound, "a DNSLink name has no sequence"));
      return done(std::to_string(*root->sequence));
    }
    if (name == "user.ipns.validity") {
      if (!root->validity) return done(MakeError(ErrorCode::kNotFound, "a DNSLink name has no validity"));
      return done(ipld::FormatRfc3339Nano(*root->validity));
    }
  }
  content_->GetXattr(Content(node), std::move(name), std::move(done));
}

void IpnsTree::ListXattr(const TreeNodePtr& node, Callback<std::vector<std::string>> done) {
  auto* root = dynamic_cast<const IpnsRoot*>(node.get());
  bool record = root && root->sequence;
  content_->ListXattr(Content(node), [record, done = std::move(done)](Result<std::vector<std::string>> r) {
    if (r && record) {
      r->push_back("user.ipns.sequence");
      r->push_back("user.ipns.validity");
    }
    done(std::move(r));
  });
}

}  // namespace ipfsfs::fs
