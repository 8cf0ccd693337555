#include "net/http_engine.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "net/internal/transfer.h"

namespace ipfsfs::net {
namespace {

using Clock = std::chrono::steady_clock;

std::shared_ptr<spdlog::logger> Log() {
  // Registered once, on stderr: nothing below tools/ writes to stdout. tools/
  // may register its own "net" logger first (file, level).
  static std::shared_ptr<spdlog::logger> logger = [] {
    if (auto l = spdlog::get("net")) return l;
    try {
      return spdlog::stderr_color_mt("net");
    } catch (const spdlog::spdlog_ex&) {
      return spdlog::get("net");
    }
  }();
  return logger;
}

}  // namespace

namespace internal {

// One libcurl multi handle and the thread that drives it.
class Loop {
 public:
  explicit Loop(const HttpEngineOptions& options) : options_(options) {
    multi_ = curl_multi_init();
    curl_multi_setopt(multi_, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, options.max_host_connections);
    curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, options.max_total_connections);
    thread_ = std::thread([this] { Run(); });
  }
  ~Loop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    curl_multi_wakeup(multi_);
    thread_.join();
    curl_multi_cleanup(multi_);
  }

  void Post(std::function<void()> fn) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;  // the shutdown path answers everything still listed
      commands_.push_back(std::move(fn));
    }
    curl_multi_wakeup(multi_);
  }

  void Add(std::shared_ptr<Transfer> t) {
    bool stopped;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopped = stop_;
      if (!stopped) {
        commands_.push_back([this, t] { Begin(t); });
      }
    }
    if (stopped) {
      t->done_(MakeError(ErrorCode::kCancelled, "http engine is shutting down"));
      return;
    }
    curl_multi_wakeup(multi_);
  }

  void CancelOnLoop(const std::shared_ptr<Transfer>& t) {
    if (t->finished_) return;
    Finish(t, MakeError(ErrorCode::kCancelled, "cancelled: " + t->request_.url));
  }
  void ResumeOnLoop(const std::shared_ptr<Transfer>& t) {
    if (t->finished_ || (!t->paused_ && !t->upload_paused_) || !t->in_multi_) return;
    t->paused_ = false;
    t->upload_paused_ = false;
    curl_easy_pause(t->easy_, CURLPAUSE_CONT);
  }

 private:
  void Begin(const std::shared_ptr<Transfer>& t) {
    if (t->finished_) return;
    if (stopping_) {
      Finish(t, MakeError(ErrorCode::kCancelled, "http engine is shutting down"));
      return;
    }
    if (!t->easy_) {
      if (auto s = Setup(*t); !s) {
        Finish(t, tl::unexpected(s.error()));
        return;
      }
    }
    t->response_ = HttpResponse{};
    t->head_seen_ = false;
    t->streaming_ = false;
    t->paused_ = false;
    t->upload_paused_ = false;
    t->abort_error_.reset();
    t->error_buffer_[0] = 0;
    live_[t->easy_] = t;
    t->in_multi_ = true;
    curl_multi_add_handle(multi_, t->easy_);
  }

  Status Setup(Transfer& t) {
    CURL* e = curl_easy_init();
    if (!e) return MakeError(ErrorCode::kInternal, "curl_easy_init failed");
    t.easy_ = e;
    const HttpRequest& r = t.request_;
    curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error_buffer_);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, OnWrite);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(e, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!options_.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, options_.ca_file.c_str());
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout.count()));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(r.connect_timeout.count()));
    if (r.low_speed_bytes_per_second > 0 && r.low_speed_time.count() > 0) {
      curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, r.low_speed_bytes_per_second);
      curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, static_cast<long>(r.low_speed_time.count()));
    }
    // Fewer, larger reads for streams (a CAR chunk in a few callbacks); a
    // smaller buffer per block request, as dozens are in flight at once.
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, r.on_data ? 256L << 10 : 64L << 10);
    if (!r.on_data) {
      curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(r.max_body_bytes));
    }
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
    if (r.method == "POST" && r.body_source) {
      curl_easy_setopt(e, CURLOPT_POST, 1L);
      curl_easy_setopt(e, CURLOPT_READFUNCTION, OnRead);
      curl_easy_setopt(e, CURLOPT_READDATA, &t);
      // Chunked, and no "Expect: 100-continue" wait before the first byte.
      t.headers_ = curl_slist_append(t.headers_, "Transfer-Encoding: chunked");
      t.headers_ = curl_slist_append(t.headers_, "Expect:");
    } else if (r.method == "POST" || r.method == "PUT") {
      curl_easy_setopt(e, CURLOPT_POST, 1L);
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(r.post_body.size()));
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.post_body.c_str());
      // A PUT of a buffered body: POST's body handling under the PUT verb.
      if (r.method == "PUT") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PUT");
    } else if (r.method == "DELETE") {
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
    } else if (r.method == "HEAD") {
      curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (r.method != "GET") {
      return MakeError(ErrorCode::kInvalidArgument, "unsupported http method " + r.method);
    }
    for (const auto& h : r.headers) t.headers_ = curl_slist_append(t.headers_, h.c_str());
    if (t.headers_) curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers_);
    return OkStatus();
  }

  void Detach(const std::shared_ptr<Transfer>& t) {
    if (t->in_multi_) {
      curl_multi_remove_handle(multi_, t->easy_);
      t->in_multi_ = false;
      live_.erase(t->easy_);
    }
    for (auto it = timers_.begin(); it != timers_.end();) {
      it = (it->second == t) ? timers_.erase(it) : std::next(it);
    }
  }

  void Finish(const std::shared_ptr<Transfer>& t, Result<HttpResponse> result) {
    if (t->finished_) return;
    t->finished_ = true;
    Detach(t);
    HttpCallback done = std::move(t->done_);
    t->done_ = nullptr;
    // Drop the callers' captures now: a handle kept by them must not keep them alive.
    t->request_.on_data = nullptr;
    t->request_.on_head = nullptr;
    t->request_.body_source = nullptr;
    try {
      done(std::move(result));
    } catch (const std::exception& e) {
      Log()->error("http callback threw: {}", e.what());
    } catch (...) {
      Log()->error("http callback threw");
    }
  }

  static bool Retryable(CURLcode code) {
    switch (code) {
      case CURLE_COULDNT_CONNECT:
      case CURLE_GOT_NOTHING:
      case CURLE_RECV_ERROR:
      case CURLE_SEND_ERROR:
      case CURLE_PARTIAL_FILE:
        return true;
      default:
        return false;
    }
  }

  static ErrorCode CodeFor(CURLcode code) {
    switch (code) {
      case CURLE_OPERATION_TIMEDOUT: return ErrorCode::kTimeout;
      case CURLE_FILESIZE_EXCEEDED: return ErrorCode::kTooLarge;
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL: return ErrorCode::kInvalidArgument;
      case CURLE_OUT_OF_MEMORY: return ErrorCode::kInternal;
      default: return ErrorCode::kUnavailable;
    }
  }

  void Completed(CURL* easy, CURLcode code) {
    auto it = live_.find(easy);
    if (it == live_.end()) return;
    std::shared_ptr<Transfer> t = it->second;
    curl_multi_remove_handle(multi_, easy);
    t->in_multi_ = false;
    live_.erase(it);
    double secs = 0;
    curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME, &secs);
    t->response_.seconds = secs;
    if (t->abort_error_) {
      Finish(t, tl::unexpected(*t->abort_error_));
      return;
    }
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    bool retry_status = code == CURLE_OK && (status == 502 || status == 503 || status == 504);
    if ((Retryable(code) || retry_status) && !t->delivered_ && !t->request_.body_source &&
        t->attempt_ < t->request_.max_retries) {
      auto delay = t->request_.retry_backoff * (1 << t->attempt_);
      ++t->attempt_;
      Log()->debug("retrying {} in {} ms (attempt {}): {}", t->request_.url, delay.count(), t->attempt_,
                   code == CURLE_OK ? "status " + std::to_string(status) : std::string(curl_easy_strerror(code)));
      timers_.emplace(Clock::now() + delay, t);
      return;
    }
    if (code != CURLE_OK) {
      std::string why = t->error_buffer_[0] ? t->error_buffer_ : curl_easy_strerror(code);
      Finish(t, MakeError(CodeFor(code), t->request_.url + ": " + why));
      return;
    }
    t->response_.status = status;
    long version = 0;
    curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version);
    t->response_.http2 = version == CURL_HTTP_VERSION_2_0;
    char* ct = nullptr;
    if (curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct) t->response_.content_type = ct;
    Finish(t, std::move(t->response_));
  }

  void Run() {
    while (true) {
      std::vector<std::function<void()>> commands;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stop_) break;
        commands.swap(commands_);
      }
      for (auto& c : commands) c();
      auto now = Clock::now();
      while (!timers_.empty() && timers_.begin()->first <= now) {
        auto t = timers_.begin()->second;
        timers_.erase(timers_.begin());
        Begin(t);
      }
      int running = 0;
      curl_multi_perform(multi_, &running);
      int queued = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
        if (msg->msg == CURLMSG_DONE) Completed(msg->easy_handle, msg->data.result);
      }
      int wait_ms = 1000;
      if (!timers_.empty()) {
        auto until = std::chrono::duration_cast<std::chrono::milliseconds>(timers_.begin()->first - Clock::now());
        wait_ms = std::clamp<int>(static_cast<int>(until.count()), 0, wait_ms);
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (!commands_.empty() || stop_) wait_ms = 0;
      }
      curl_multi_poll(multi_, nullptr, 0, wait_ms, nullptr);
    }
    // Shutdown: answer everything still pending.
    std::vector<std::shared_ptr<Transfer>> pending;
    for (auto& [easy, t] : live_) pending.push_back(t);
    for (auto& [when, t] : timers_) pending.push_back(t);
    std::vector<std::function<void()>> commands;
    {
      std::lock_guard<std::mutex> lock(mu_);
      commands.swap(commands_);
    }
    for (auto& t : pending) Finish(t, MakeError(ErrorCode::kCancelled, "http engine is shutting down"));
    // Queued Begin commands hold transfers that never started: run them as cancels.
    stopping_ = true;
    for (auto& c : commands) c();
  }

 public:
  bool stopping_ = false;  // loop thread only

 private:
  HttpEngineOptions options_;
  CURLM* multi_ = nullptr;
  std::thread thread_;
  std::mutex mu_;
  bool stop_ = false;                              // GUARDED_BY(mu_)
  std::vector<std::function<void()>> commands_;    // GUARDED_BY(mu_)
  std::unordered_map<CURL*, std::shared_ptr<Transfer>> live_;  // loop thread only
  std::multimap<Clock::time_point, std::shared_ptr<Transfer>> timers_;  // loop thread only

  friend class Transfer;
};

void Transfer::Cancel() {
  auto self = shared_from_this();
  loop_->Post([self] { self->loop_->CancelOnLoop(self); });
}

void Transfer::Resume() {
  auto self = shared_from_this();
  loop_->Post([self] { self->loop_->ResumeOnLoop(self); });
}

}  // namespace internal

namespace {

using internal::Loop;
using internal::Transfer;

class CurlEngine : public HttpEngine {
 public:
  explicit CurlEngine(const HttpEngineOptions& options) {
    int n = std::max(1, options.threads);
    for (int i = 0; i < n; ++i) loops_.push_back(std::make_unique<Loop>(options));
  }
  ~CurlEngine() override { loops_.clear(); }

  std::shared_ptr<HttpCall> Start(HttpRequest request, HttpCallback done) override {
    Loop* loop = loops_[next_.fetch_add(1, std::memory_order_relaxed) % loops_.size()].get();
    auto t = std::make_shared<Transfer>(loop, std::move(request), std::move(done));
    loop->Add(t);
    return t;
  }

 private:
  std::vector<std::unique_ptr<Loop>> loops_;
  std::atomic<size_t> next_{0};
};

}  // namespace

Result<std::unique_ptr<HttpEngine>> HttpEngine::Create(HttpEngineOptions options) {
  static std::once_flag once;
  static CURLcode init_code = CURLE_OK;
  std::call_once(once, [] { init_code = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (init_code != CURLE_OK) {
    return MakeError(ErrorCode::kInternal, std::string("curl_global_init: ") + curl_easy_strerror(init_code));
  }
  return std::unique_ptr<HttpEngine>(new CurlEngine(options));
}

Result<HttpResponse> HttpEngine::Fetch(HttpRequest request) {
  auto promise = std::make_shared<std::promise<Result<HttpResponse>>>();
  auto future = promise->get_future();
  Start(std::move(request), [promise](Result<HttpResponse> r) { promise->set_value(std::move(r)); });
  return future.get();
}

}  // namespace ipfsfs::net
