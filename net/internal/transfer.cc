#include "net/internal/transfer.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace ipfsfs::net::internal {

size_t OnWrite(char* ptr, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * nmemb;
  if (!t->head_seen_) {
    t->head_seen_ = true;
    long status = 0;
    curl_easy_getinfo(t->easy_, CURLINFO_RESPONSE_CODE, &status);
    char* ct = nullptr;
    curl_easy_getinfo(t->easy_, CURLINFO_CONTENT_TYPE, &ct);
    std::string_view content_type = ct ? ct : "";
    t->streaming_ = t->request_.on_data && status >= 200 && status < 300;
    if (t->request_.on_head) {
      bool ok = false;
      try {
        ok = t->request_.on_head(status, content_type);
      } catch (...) {
      }
      if (!ok) {
        t->abort_error_ = Error{ErrorCode::kUnavailable, t->request_.url + ": response rejected (status " +
                                                             std::to_string(status) + ", content type '" +
                                                             std::string(content_type) + "')"};
        return 0;
      }
    }
  }
  ByteSpan bytes(reinterpret_cast<const std::byte*>(ptr), len);
  if (t->streaming_) {
    bool more = false;
    try {
      more = t->request_.on_data(bytes);
    } catch (...) {
      t->abort_error_ = Error{ErrorCode::kInternal, t->request_.url + ": stream consumer threw"};
      return 0;
    }
    if (!more) {
      t->paused_ = true;
      return CURL_WRITEFUNC_PAUSE;
    }
    t->delivered_ = true;
    return len;
  }
  size_t cap = t->request_.on_data ? size_t{64} << 10 : t->request_.max_body_bytes;
  if (t->response_.body.size() + len > cap) {
    if (t->request_.on_data) return len;  // an error body: keep its start only
    t->abort_error_ = Error{ErrorCode::kTooLarge, t->request_.url + ": response body over " +
                                                      std::to_string(cap) + " bytes"};
    return 0;
  }
  if (t->response_.body.empty()) {
    // One allocation of the announced size: growing by doubling would copy a
    // block several times and hold up to twice its size.
    curl_off_t announced = -1;
    curl_easy_getinfo(t->easy_, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced);
    if (announced > 0 && static_cast<size_t>(announced) <= cap) t->response_.body.reserve(static_cast<size_t>(announced));
  }
  Append(t->response_.body, bytes);
  return len;
}

size_t OnRead(char* ptr, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  long n = HttpRequest::kBodyAbort;
  try {
    n = t->request_.body_source(std::span<std::byte>(reinterpret_cast<std::byte*>(ptr), size * nmemb));
  } catch (...) {
  }
  if (n == HttpRequest::kBodyWait) {
    t->upload_paused_ = true;
    return CURL_READFUNC_PAUSE;
  }
  if (n < 0) {
    if (!t->abort_error_) t->abort_error_ = Error{ErrorCode::kCancelled, t->request_.url + ": upload aborted"};
    return CURL_READFUNC_ABORT;
  }
  return static_cast<size_t>(n);
}

size_t OnHeader(char* ptr, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * nmemb;
  std::string_view line(ptr, len);
  constexpr std::string_view kName = "x-stream-error:";
  if (line.size() > kName.size() &&
      std::equal(kName.begin(), kName.end(), line.begin(), [](char a, char b) { return a == std::tolower(b); })) {
    std::string_view value = line.substr(kName.size());
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
    t->response_.stream_error = std::string(value);
  }
  return len;
}

}  // namespace ipfsfs::net::internal
