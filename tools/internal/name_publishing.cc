// Implementation of tools/internal/name_publishing.h.
#include "tools/internal/name_publishing.h"

#include <future>

#include <spdlog/spdlog.h>

namespace ipfsfs::tools {

NamePublishing::~NamePublishing() {
  republisher_.reset();  // its pass may be publishing through everything below
  engine_.reset();       // lookups in flight answer kCancelled
}

Result<std::unique_ptr<NamePublishing>> NamePublishing::Open(const SourceOptions& sources, const NameOptions& names) {
  IPFSFS_ASSIGN_OR_RETURN(auto cache_options, ResolveSourceOptions(sources));
  IPFSFS_ASSIGN_OR_RETURN(auto routing, RoutingUrls(sources, names));
  std::unique_ptr<NamePublishing> p(new NamePublishing());
  IPFSFS_ASSIGN_OR_RETURN(p->engine_, net::HttpEngine::Create({}));
  if (!cache_options.offline) {
    for (const auto& spec : cache_options.sources) {
      if (spec.kind != blockcache::SourceSpec::Kind::kKuboRpc) continue;
      p->putters_.push_back(publish::NewKuboPutter(*p->engine_, spec.url));
      p->lookups_.push_back(blockcache::NewKuboSource(*p->engine_, spec.url));
    }
    for (const auto& url : routing) {
      p->putters_.push_back(publish::NewRoutingPutter(*p->engine_, url));
      p->lookups_.push_back(blockcache::NewRoutingSource(*p->engine_, url));
    }
  }
  IPFSFS_ASSIGN_OR_RETURN(p->seen_store_, resolver::OpenFileNameStore(DefaultStateDir() + "/names"));
  IPFSFS_ASSIGN_OR_RETURN(p->published_, publish::OpenFilePublishedStore(DefaultStateDir() + "/published"));
  IPFSFS_ASSIGN_OR_RETURN(auto keystore, Keystore::Open(Keystore::DefaultDir()));
  p->keystore_ = std::make_unique<Keystore>(std::move(keystore));
  std::vector<blockcache::Source*> lookups;
  for (auto& l : p->lookups_) lookups.push_back(l.get());
  p->current_ = std::make_unique<resolver::IpnsRecordResolver>(lookups, *p->seen_store_);
  auto seen = [current = p->current_.get()](const ipld::Multihash& name) -> std::optional<uint64_t> {
    std::promise<Result<resolver::IpnsValue>> done;
    auto fut = done.get_future();
    current->Resolve(name, [&done](Result<resolver::IpnsValue> v) { done.set_value(std::move(v)); });
    auto v = fut.get();
    if (!v) return std::nullopt;  // none found, or the targets are down: the puts will say
    return v->sequence;
  };
  std::vector<publish::RecordPutter*> targets;
  for (auto& t : p->putters_) targets.push_back(t.get());
  p->publisher_ = std::make_unique<publish::NamePublisher>(targets, *p->published_, p->seen_store_.get(), seen);
  return p;
}

Result<publish::PublishedName> NamePublishing::Publish(const std::string& key_name, const std::string& value,
                                                       publish::PublishOptions options) {
  IPFSFS_ASSIGN_OR_RETURN(auto key, keystore_->Get(key_name));
  options.key_name = key_name;
  return publisher_->Publish(key, value, options);
}

void NamePublishing::StartRepublishing(publish::RepublisherOptions options) {
  if (republisher_) return;
  auto keys = [ks = keystore_.get()](const std::string& name) { return ks->Get(name); };
  republisher_ = std::make_unique<publish::Republisher>(*publisher_, *published_, keys, std::move(options));
  republisher_->Start();
}

}  // namespace ipfsfs::tools
