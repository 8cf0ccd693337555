// DNS-over-HTTPS (RFC 8484) behind the DnsClient interface, on the HttpEngine.
//
// Each lookup POSTs one wire-format TXT query (ID 0) as
// `application/dns-message` to the resolver URL, as go-doh-resolver (kubo's
// DoH) does, and reads the answer with the same parser as the c-ares client.
// A reply other than 200 with that content type is kUnavailable; transport
// errors keep the engine's codes (kUnavailable, kTimeout, kCancelled).
//
// `done` runs on an HttpEngine loop thread. Thread-safe. The HttpEngine must
// outlive the client; destroying the client cancels the lookups in flight
// (their `done` gets kCancelled on the engine's thread, possibly after the
// destructor returns: callbacks hold no pointer to the client).
#ifndef IPFSFS_NET_DOH_CLIENT_H_
#define IPFSFS_NET_DOH_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>

#include "base/result.h"
#include "net/dns_client.h"
#include "net/http_engine.h"

namespace ipfsfs::net {

struct DohClientOptions {
  // "https://HOST[:PORT]/dns-query" (http:// is accepted too, as boxo does).
  std::string url;
  // The whole HTTP exchange, retries included by the engine.
  std::chrono::milliseconds timeout{5000};
};

// kInvalidArgument unless the URL is http:// or https://.
[[nodiscard]] Result<std::unique_ptr<DnsClient>> CreateDohClient(HttpEngine& http, DohClientOptions options);

}  // namespace ipfsfs::net

#endif  // IPFSFS_NET_DOH_CLIENT_H_
