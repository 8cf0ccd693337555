// HttpEngine: every HTTP request ipfsfs makes, on libcurl's multi interface.
//
// A few event-loop threads (one curl multi handle each) run many transfers at
// once with keep-alive, HTTP/2 multiplexing when the server offers it, connect,
// total and low-speed timeouts, bounded retries with backoff for transport
// errors, cancellation and verified TLS. Start() never blocks: the callbacks
// (on_head, on_data, done) run on a loop thread and must only hand work off.
// Bodies are buffered up to a cap (blocks) or streamed (CARs).
// The engine is thread-safe; destroying it cancels what is in flight
// (done gets kCancelled) and joins the loop threads.
#ifndef IPFSFS_NET_HTTP_ENGINE_H_
#define IPFSFS_NET_HTTP_ENGINE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace ipfsfs::net {

struct HttpEngineOptions {
  // Event-loop threads, each with its own connection pool.
  int threads = 1;
  // Connections per host and in total, per loop thread.
  long max_host_connections = 16;
  long max_total_connections = 64;
  std::string user_agent = "ipfsfs/0.1";
  // CA bundle; empty uses the system's. TLS peers are always verified.
  std::string ca_file;
};

struct HttpResponse {
  long status = 0;
  std::string content_type;
  Bytes body;            // empty when the body was streamed to on_data
  double seconds = 0;    // total time of the last attempt
  bool http2 = false;
  // The X-Stream-Error header or trailer (kubo RPC: a failure after the body began).
  std::string stream_error;
};

struct HttpRequest {
  std::string method = "GET";  // GET, POST, PUT, HEAD or DELETE
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string post_body;  // the body of a POST or PUT
  // Streamed request body (POST, instead of post_body), sent chunked: fills
  // `buffer`, returns the bytes written, 0 at the end, kBodyWait when none are
  // ready yet (call HttpCall::Resume() once there are), kBodyAbort to fail the
  // request. Runs on a loop thread: must not block. Such a request is never retried.
  std::function<long(std::span<std::byte> buffer)> body_source;
  static constexpr long kBodyWait = -1;
  static constexpr long kBodyAbort = -2;
  // Buffered mode: a body longer than this ends the request with kTooLarge.
  size_t max_body_bytes = (2u << 20) + 1;
  // Called once, before the first body byte, with the status and Content-Type.
  // Return false to abort (done then gets kUnavailable naming the reason).
  std::function<bool(long status, std::string_view content_type)> on_head;
  // Streaming mode (2xx bodies only): receives the body as it arrives instead
  // of buffering it. Return false to pause: the same bytes come again after
  // HttpCall::Resume(). A non-2xx body is still buffered (for its message).
  std::function<bool(ByteSpan)> on_data;
  // Whole request (one attempt), connect, and low-speed limits; 0 = none.
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds connect_timeout{5000};
  long low_speed_bytes_per_second = 512;
  std::chrono::seconds low_speed_time{10};
  // Transport errors (refused, reset, empty reply) and 502/503/504 before any
  // body byte reached on_data are retried this many times, backoff doubling.
  int max_retries = 2;
  std::chrono::milliseconds retry_backoff{50};
};

// The transport outcome: an HTTP response of any status, or an error:
// kUnavailable (connect/TLS/transport), kTimeout, kTooLarge, kCancelled.
using HttpCallback = std::function<void(Result<HttpResponse>)>;

// A request in flight.
class HttpCall {
 public:
  virtual ~HttpCall() = default;
  // done() gets kCancelled unless it already ran. Any thread, idempotent.
  virtual void Cancel() = 0;
  // Resumes a stream paused by on_data returning false, or an upload paused
  // by body_source answering kBodyWait.
  virtual void Resume() = 0;
};

class HttpEngine {
 public:
  [[nodiscard]] static Result<std::unique_ptr<HttpEngine>> Create(HttpEngineOptions options = {});
  virtual ~HttpEngine() = default;

  // Starts a request; `done` is called exactly once, on a loop thread.
  virtual std::shared_ptr<HttpCall> Start(HttpRequest request, HttpCallback done) = 0;

  // Blocking convenience for tools and tests; never on a loop thread.
  [[nodiscard]] Result<HttpResponse> Fetch(HttpRequest request);
};

}  // namespace ipfsfs::net

#endif  // IPFSFS_NET_HTTP_ENGINE_H_
