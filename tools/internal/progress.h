// ProgressLine: the one-line progress report of long commands (add; rclone
// and curl show the same): bytes, rate, and with a known total the share and
// the ETA, redrawn with '\r' on stderr. Only on a terminal: callers pass
// enabled = isatty(2) and no --json. Not thread-safe: one thread updates.
#ifndef IPFSFS_TOOLS_INTERNAL_PROGRESS_H_
#define IPFSFS_TOOLS_INTERNAL_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace ipfsfs::tools {

// The text of one line: "1.5 MiB / 10.0 MiB  15%  512.0 KiB/s  ETA 0:17".
// total 0: unknown (no share, no ETA); seconds <= 0: no rate yet.
std::string FormatProgress(uint64_t done, uint64_t total, double seconds);

class ProgressLine {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  ProgressLine(std::ostream& out, bool enabled, uint64_t total, Clock clock = std::chrono::steady_clock::now);
  // Adds to the count; redraws at most every 200 ms.
  void Add(uint64_t bytes);
  // Wipes the line so that other output starts at column 0; the next Add redraws it.
  void Clear();
  // The last line, ended with a newline (nothing when disabled or nothing was drawn).
  void Finish();

 private:
  void Draw();
  std::ostream& out_;
  bool enabled_;
  uint64_t total_;
  Clock clock_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
  uint64_t done_ = 0;
  bool drawn_ = false;
};

}  // namespace ipfsfs::tools

#endif  // IPFSFS_TOOLS_INTERNAL_PROGRESS_H_
