// PinningClient: the IPFS Pinning Service API v1.0.0 (publish.md §2), as
// kubo's `ipfs pin remote` speaks it: JSON over HTTP, `Authorization: Bearer
// KEY` on every request. The endpoint is stored without /pins. Blocking
// calls; thread-safe (the engine is).
#ifndef IPFSFS_PUBLISH_PINNING_CLIENT_H_
#define IPFSFS_PUBLISH_PINNING_CLIENT_H_

#include <string>
#include <vector>

#include "base/result.h"
#include "net/http_engine.h"

namespace ipfsfs::publish {

struct RemotePin {  // PinStatus
  std::string requestid;
  std::string status;  // queued, pinning, pinned, failed
  std::string created;
  std::string cid;
  std::string name;
  std::vector<std::string> delegates;
};

struct RemotePinQuery {
  std::vector<std::string> cids;      // empty: any
  std::string name;                   // empty: any
  std::vector<std::string> statuses;  // empty: the service's default (pinned)
  int limit = 0;                      // 0: the service's default (10)
};

class PinningClient {
 public:
  // `engine` must outlive the client.
  PinningClient(std::string endpoint, std::string key, net::HttpEngine& engine);

  // POST /pins. kInvalidArgument for 4xx (401 bad key, 409 insufficient
  // funds…), kNotFound for 404, kUnavailable for 5xx and transport; the
  // message carries the service's reason and details.
  [[nodiscard]] Result<RemotePin> Add(const std::string& cid, const std::string& name,
                                      const std::vector<std::string>& origins);
  // POST /pins/{requestid}: the old pin replaced in one step (a new requestid).
  [[nodiscard]] Result<RemotePin> Replace(const std::string& requestid, const std::string& cid, const std::string& name,
                                          const std::vector<std::string>& origins);
  [[nodiscard]] Result<RemotePin> Get(const std::string& requestid);
  [[nodiscard]] Result<std::vector<RemotePin>> List(const RemotePinQuery& query);
  [[nodiscard]] Status Remove(const std::string& requestid);

 private:
  [[nodiscard]] Result<net::HttpResponse> Call(const std::string& method, const std::string& path, std::string body);

  std::string endpoint_;
  const std::string key_;
  net::HttpEngine& engine_;
};

}  // namespace ipfsfs::publish

#endif  // IPFSFS_PUBLISH_PINNING_CLIENT_H_
