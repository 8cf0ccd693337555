// Transfer: one HTTP request as the curl loop (http_engine.cc) drives it, and
// OnWrite, the libcurl write callback that turns its response bytes into a
// body (capped) or a stream (on_data, with pause).
//
// Owned by shared_ptr (the caller's handle and the loop's table). The fields
// below `loop_` are touched only on the loop's thread; Cancel and Resume post
// to it (defined beside the loop).
#ifndef IPFSFS_NET_INTERNAL_TRANSFER_H_
#define IPFSFS_NET_INTERNAL_TRANSFER_H_

#include <curl/curl.h>

#include <memory>
#include <optional>

#include "net/http_engine.h"

namespace ipfsfs::net::internal {

class Loop;

class Transfer : public HttpCall, public std::enable_shared_from_this<Transfer> {
 public:
  Transfer(Loop* loop, HttpRequest request, HttpCallback done)
      : loop_(loop), request_(std::move(request)), done_(std::move(done)) {}
  ~Transfer() override {
    if (easy_) curl_easy_cleanup(easy_);
    if (headers_) curl_slist_free_all(headers_);
  }
  void Cancel() override;
  void Resume() override;

  Loop* loop_;
  HttpRequest request_;
  HttpCallback done_;
  CURL* easy_ = nullptr;
  curl_slist* headers_ = nullptr;
  char error_buffer_[CURL_ERROR_SIZE] = {};
  HttpResponse response_;
  bool head_seen_ = false;
  bool streaming_ = false;      // this attempt's body goes to on_data
  bool delivered_ = false;      // some body byte reached on_data
  bool paused_ = false;
  bool upload_paused_ = false;  // body_source answered kBodyWait
  bool in_multi_ = false;
  bool finished_ = false;
  int attempt_ = 0;
  std::optional<Error> abort_error_;  // set by a callback that stopped the transfer
};

// CURLOPT_WRITEFUNCTION; `user` is the Transfer.
size_t OnWrite(char* ptr, size_t size, size_t nmemb, void* user);
// CURLOPT_READFUNCTION over body_source; `user` is the Transfer.
size_t OnRead(char* ptr, size_t size, size_t nmemb, void* user);
// CURLOPT_HEADERFUNCTION: keeps X-Stream-Error (headers and trailers alike).
size_t OnHeader(char* ptr, size_t size, size_t nmemb, void* user);

}  // namespace ipfsfs::net::internal

#endif  // IPFSFS_NET_INTERNAL_TRANSFER_H_
