#include "tools/internal/progress.h"

#include <algorithm>
#include <cstdio>

#include "tools/internal/source_options.h"

namespace ipfsfs::tools {

std::string FormatProgress(uint64_t done, uint64_t total, double seconds) {
  std::string line = FormatSize(done);
  if (total > 0) {
    // Filters can make the estimate of the total too large, reads never smaller.
    uint64_t shown_total = std::max(total, done);
    line += " / " + FormatSize(shown_total);
    char pct[16];
    std::snprintf(pct, sizeof pct, "  %3d%%", static_cast<int>(done * 100 / shown_total));
    line += pct;
  }
  if (seconds > 0) {
    double rate = static_cast<double>(done) / seconds;
    line += "  " + FormatSize(static_cast<uint64_t>(rate)) + "/s";
    if (total > done && rate >= 1) {
      auto eta = static_cast<uint64_t>(static_cast<double>(total - done) / rate);
      char buf[32];
      if (eta >= 3600) {
        std::snprintf(buf, sizeof buf, "  ETA %llu:%02llu:%02llu", static_cast<unsigned long long>(eta / 3600),
                      static_cast<unsigned long long>(eta / 60 % 60), static_cast<unsigned long long>(eta % 60));
      } else {
        std::snprintf(buf, sizeof buf, "  ETA %llu:%02llu", static_cast<unsigned long long>(eta / 60),
                      static_cast<unsigned long long>(eta % 60));
      }
      line += buf;
    }
  }
  return line;
}

ProgressLine::ProgressLine(std::ostream& out, bool enabled, uint64_t total, Clock clock)
    : out_(out), enabled_(enabled), total_(total), clock_(std::move(clock)), start_(clock_()) {}

void ProgressLine::Add(uint64_t bytes) {
  done_ += bytes;
  if (!enabled_) return;
  auto now = clock_();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  Draw();
}

void ProgressLine::Draw() {
  double secs = std::chrono::duration<double>(clock_() - start_).count();
  // Trailing spaces wipe the end of a longer previous line.
  out_ << "\r" << FormatProgress(done_, total_, secs) << "      " << std::flush;
  drawn_ = true;
}

void ProgressLine::Clear() {
  if (!enabled_ || !drawn_) return;
  out_ << "\r\033[K" << std::flush;
  drawn_ = false;
}

void ProgressLine::Finish() {
  if (!enabled_ || !drawn_) return;
  Draw();
  out_ << "\n" << std::flush;
}

}  // namespace ipfsfs::tools
