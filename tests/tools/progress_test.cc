// The progress line: its text, and when it draws (a fake clock).
#include <sstream>

#include <catch2/catch.hpp>

#include "tools/internal/progress.h"

namespace ipfsfs::tools {
namespace {

TEST_CASE("progress text: bytes, share, rate, ETA", "[tools][progress]") {
  CHECK(FormatProgress(0, 0, 0) == "0 B");
  CHECK(FormatProgress(1536, 0, 0) == "1.5 KiB");
  CHECK(FormatProgress(1 << 20, 0, 2.0) == "1.0 MiB  512.0 KiB/s");
  CHECK(FormatProgress(1 << 20, 4 << 20, 1.0) == "1.0 MiB / 4.0 MiB   25%  1.0 MiB/s  ETA 0:03");
  CHECK(FormatProgress(1 << 20, 4 << 20, 0) == "1.0 MiB / 4.0 MiB   25%");
  // Over an hour, and done past an estimate that was too small.
  CHECK(FormatProgress(1, 7201, 1.0) == "1 B / 7.0 KiB    0%  1 B/s  ETA 2:00:00");
  CHECK(FormatProgress(5000, 4000, 1.0) == "4.9 KiB / 4.9 KiB  100%  4.9 KiB/s");
}

TEST_CASE("progress line: draws on a terminal only, at most every 200 ms", "[tools][progress]") {
  auto now = std::chrono::steady_clock::time_point{};
  auto clock = [&now] { return now; };
  std::ostringstream off;
  ProgressLine quiet(off, false, 100, clock);
  quiet.Add(50);
  quiet.Finish();
  CHECK(off.str().empty());

  std::ostringstream out;
  ProgressLine line(out, true, 100, clock);
  now += std::chrono::seconds(1);
  line.Add(10);
  CHECK(out.str() == "\r10 B / 100 B   10%  10 B/s  ETA 0:09      ");
  now += std::chrono::milliseconds(100);
  line.Add(10);  // too soon: not drawn
  CHECK(out.str() == "\r10 B / 100 B   10%  10 B/s  ETA 0:09      ");
  line.Clear();
  CHECK(out.str().ends_with("\r\033[K"));
  line.Add(0);  // cleared: drawn again at once
  CHECK(out.str().ends_with("20 B / 100 B   20%  18 B/s  ETA 0:04      "));
  line.Finish();
  CHECK(out.str().ends_with("\n"));
}

}  // namespace
}  // namespace ipfsfs::tools
