// Timestamp and RFC 3339 text, as IPNS records carry their end of life (ipns.md §3.2).
//
// A Timestamp is a regular value: whole seconds since the Unix epoch (UTC) plus
// nanoseconds, so any 4-digit year fits (nanoseconds in one int64 end in 2262).
// Pure functions, thread-safe.
#ifndef IPFSFS_IPLD_RFC3339_H_
#define IPFSFS_IPLD_RFC3339_H_

#include <chrono>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace ipfsfs::ipld {

struct Timestamp {
  int64_t seconds = 0;  // since 1970-01-01T00:00:00Z
  int32_t nanos = 0;    // 0..999999999

  static Timestamp FromTimePoint(std::chrono::system_clock::time_point t);

  friend bool operator==(const Timestamp&, const Timestamp&) = default;
  friend auto operator<=>(const Timestamp&, const Timestamp&) = default;
};

// Parses what Go's time.Parse(time.RFC3339Nano, …) takes, as boxo does:
// "YYYY-MM-DDTHH:MM:SS[.fraction]" with 0–9 fraction digits (a comma works too),
// then "Z" or "±HH:MM"; the result is UTC. A lowercase "z", a space for "T",
// out-of-range fields or trailing bytes are kInvalidArgument.
[[nodiscard]] Result<Timestamp> ParseRfc3339(std::string_view text);

// Go's RFC3339Nano in UTC: trailing zeros of the fraction dropped, the dot too
// when it is zero ("2126-01-01T00:00:00Z", "2123-08-14T12:17:03.694052Z").
std::string FormatRfc3339Nano(Timestamp t);

}  // namespace ipfsfs::ipld

#endif  // IPFSFS_IPLD_RFC3339_H_
