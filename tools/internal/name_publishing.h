// NamePublishing: the stack behind `ipfsfs name publish`, a mount's
// republishing and the `ipns:KEY` sync target: its own HTTP engine, the
// targets (the kubo nodes of --api / $IPFS_PATH/api / the config, and the
// --routing endpoints; gateways take no records), the targets' current
// records (for the sequence), the stores under the state dir (names/ for
// records seen, published/ for ours), the keystore, and a NamePublisher.
//
// Publish is blocking; the Republisher (StartRepublishing) runs on its own
// thread. The destructor stops the republisher first, then frees the rest.
#ifndef IPFSFS_TOOLS_INTERNAL_NAME_PUBLISHING_H_
#define IPFSFS_TOOLS_INTERNAL_NAME_PUBLISHING_H_

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "blockcache/source.h"
#include "net/http_engine.h"
#include "publish/name_publisher.h"
#include "publish/published_store.h"
#include "publish/republisher.h"
#include "resolver/ipns_record_resolver.h"
#include "resolver/name_store.h"
#include "tools/internal/keystore.h"
#include "tools/internal/name_options.h"
#include "tools/internal/source_options.h"

namespace ipfsfs::tools {

class NamePublishing {
 public:
  // kInvalidArgument for bad flags; kUnavailable when a store cannot be opened.
  [[nodiscard]] static Result<std::unique_ptr<NamePublishing>> Open(const SourceOptions& sources,
                                                                    const NameOptions& names);
  ~NamePublishing();

  publish::NamePublisher& publisher() { return *publisher_; }
  const Keystore& keystore() const { return *keystore_; }
  // Signs with the keystore key `key_name` (its name kept for republishing).
  [[nodiscard]] Result<publish::PublishedName> Publish(const std::string& key_name, const std::string& value,
                                                       publish::PublishOptions options = {});
  // Starts the republisher for the names published with keys of this keystore.
  void StartRepublishing(publish::RepublisherOptions options = {});

 private:
  NamePublishing() = default;
  std::unique_ptr<net::HttpEngine> engine_;
  std::vector<std::unique_ptr<publish::RecordPutter>> putters_;
  std::vector<std::unique_ptr<blockcache::Source>> lookups_;
  std::unique_ptr<resolver::NameStore> seen_store_;
  std::unique_ptr<publish::PublishedStore> published_;
  std::unique_ptr<resolver::IpnsRecordResolver> current_;
  std::unique_ptr<Keystore> keystore_;
  std::unique_ptr<publish::NamePublisher> publisher_;
  std::unique_ptr<publish::Republisher> republisher_;
};

}  // namespace ipfsfs::tools

#endif  // IPFSFS_TOOLS_INTERNAL_NAME_PUBLISHING_H_
