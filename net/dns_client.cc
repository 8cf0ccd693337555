#include "net/dns_client.h"

#include <ares.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "net/internal/dns_message.h"

namespace ipfsfs::net {
namespace {

Error AresError(int status, const std::string& name) {
  std::string what = std::string(ares_strerror(status)) + " (" + name + ")";
  switch (status) {
    case ARES_ENOTFOUND:
    case ARES_ENODATA:
      return Error{ErrorCode::kNotFound, "no TXT record: " + what};
    case ARES_ETIMEOUT:
      return Error{ErrorCode::kTimeout, "dns: " + what};
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION:
      return Error{ErrorCode::kCancelled, "dns: " + what};
    case ARES_EBADNAME:
      return Error{ErrorCode::kInvalidArgument, "dns: " + what};
    case ARES_ENOMEM:
      return Error{ErrorCode::kInternal, "dns: " + what};
    default:  // SERVFAIL, REFUSED, NOTIMP, connection refused, bad replies
      return Error{ErrorCode::kUnavailable, "dns: " + what};
  }
}

// c-ares 1.18 wants a library init before the first channel (a no-op on
// Linux, but documented as required).
void InitAresOnce() {
  static const int status = ares_library_init(ARES_LIB_INIT_ALL);
  (void)status;
}

class AresDnsClient final : public DnsClient {
 public:
  AresDnsClient(ares_channel channel, int wake_fd) : channel_(channel), wake_fd_(wake_fd) {
    thread_ = std::thread([this] { Run(); });
  }

  ~AresDnsClient() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    Wake();
    thread_.join();
    ares_destroy(channel_);
    close(wake_fd_);
  }

  void LookupTxt(std::string name, TxtCallback done) override {
    bool queued = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!stop_) {
        queue_.push_back(Pending{std::move(name), std::move(done)});
        queued = true;
      }
    }
    if (!queued) {  // the client is closing
      done(MakeError(ErrorCode::kCancelled, "dns client closed"));
      return;
    }
    Wake();
  }

 private:
  struct Pending {
    std::string name;
    TxtCallback done;
  };

  void Wake() {
    uint64_t one = 1;
    ssize_t n = write(wake_fd_, &one, sizeof one);
    (void)n;  // the counter saturating still leaves the fd readable
  }

  static void OnReply(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
    std::unique_ptr<Pending> p(static_cast<Pending*>(arg));
    if (status != ARES_SUCCESS) {
      p->done(tl::unexpected<Error>(AresError(status, p->name)));
      return;
    }
    ByteSpan reply(reinterpret_cast<const std::byte*>(abuf), static_cast<size_t>(alen));
    Result<TxtAnswer> answer = internal::ParseTxtResponse(reply, p->name);
    if (!answer && answer.error().code == ErrorCode::kCorrupt) {
      answer = MakeError(ErrorCode::kUnavailable, answer.error().message);  // a bad server, not bad data
    }
    p->done(std::move(answer));
  }

  void StartQueued() {
    std::deque<Pending> batch;
    {
      std::lock_guard<std::mutex> lock(mu_);
      batch.swap(queue_);
    }
    for (Pending& p : batch) {
      auto* ctx = new Pending(std::move(p));
      ares_query(channel_, ctx->name.c_str(), internal::kDnsClassIn, internal::kDnsTypeTxt, &OnReply, ctx);
    }
  }

  void Run() {
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stop_) break;
      }
      StartQueued();

      ares_socket_t socks[ARES_GETSOCK_MAXNUM];
      int bits = ares_getsock(channel_, socks, ARES_GETSOCK_MAXNUM);
      pollfd fds[ARES_GETSOCK_MAXNUM + 1];
      int nfds = 0;
      fds[nfds++] = pollfd{wake_fd_, POLLIN, 0};
      for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
        short events = 0;
        if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
        if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
        if (events) fds[nfds++] = pollfd{socks[i], events, 0};
      }
      timeval max_wait{1, 0};
      timeval tv{};
      timeval* wait = ares_timeout(channel_, &max_wait, &tv);
      int ms = static_cast<int>(wait->tv_sec * 1000 + (wait->tv_usec + 999) / 1000);
      int ready = poll(fds, nfds, ms);
      if (ready < 0) continue;  // EINTR
      if (fds[0].revents & POLLIN) {
        uint64_t count;
        ssize_t n = read(wake_fd_, &count, sizeof count);
        (void)n;
      }
      bool any = false;
      for (int i = 1; i < nfds; ++i) {
        if (!fds[i].revents) continue;
        any = true;
        bool readable = fds[i].revents & (POLLIN | POLLERR | POLLHUP);
        bool writable = fds[i].revents & POLLOUT;
        ares_process_fd(channel_, readable ? fds[i].fd : ARES_SOCKET_BAD, writable ? fds[i].fd : ARES_SOCKET_BAD);
      }
      // Lets c-ares expire timed-out queries and retry them.
      if (!any) ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    }
    // Every callback runs here, on this thread, before the destructor returns.
    ares_cancel(channel_);
    std::deque<Pending> rest;
    {
      std::lock_guard<std::mutex> lock(mu_);
      rest.swap(queue_);
    }
    for (Pending& p : rest) p.done(MakeError(ErrorCode::kCancelled, "dns client closed"));
  }

  ares_channel channel_;
  int wake_fd_;
  std::mutex mu_;
  bool stop_ = false;           // guarded by mu_
  std::deque<Pending> queue_;   // guarded by mu_: lookups not yet handed to c-ares
  std::thread thread_;
};

}  // namespace

Result<std::unique_ptr<DnsClient>> CreateDnsClient(DnsClientOptions options) {
  InitAresOnce();
  ares_options opts{};
  opts.timeout = static_cast<int>(std::max<int64_t>(1, options.timeout.count()));
  opts.tries = std::max(1, options.tries);
  int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  ares_channel channel = nullptr;
  int status = ares_init_options(&channel, &opts, mask);
  if (status != ARES_SUCCESS) {
    return MakeError(ErrorCode::kInternal, std::string("c-ares init: ") + ares_strerror(status));
  }
  if (!options.server.empty()) {
    // One server only: a list here would let a typo pass as a second entry.
    if (options.server.find(',') != std::string::npos ||
        (status = ares_set_servers_ports_csv(channel, options.server.c_str())) != ARES_SUCCESS) {
      ares_destroy(channel);
      return MakeError(ErrorCode::kInvalidArgument, "bad dns server \"" + options.server + "\" (want ADDR[:PORT])");
    }
  }
  int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0) {
    ares_destroy(channel);
    return MakeError(ErrorCode::kInternal, "eventfd failed");
  }
  return std::unique_ptr<DnsClient>(new AresDnsClient(channel, wake_fd));
}

}  // namespace ipfsfs::net
