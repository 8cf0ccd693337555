// Implementation of ipld/rfc3339.h.
#include "ipld/rfc3339.h"

#include <cstdio>

namespace ipfsfs::ipld {
namespace {

using std::chrono::day;
using std::chrono::month;
using std::chrono::sys_days;
using std::chrono::year;
using std::chrono::year_month_day;

tl::unexpected<Error> Bad(std::string_view text, std::string_view why) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "not an RFC 3339 time: \"" + std::string(text) + "\" (" + std::string(why) + ")");
}

// Reads exactly `n` decimal digits from the front of `in`.
bool Digits(std::string_view& in, size_t n, int& out) {
  if (in.size() < n) return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    if (in[i] < '0' || in[i] > '9') return false;
    out = out * 10 + (in[i] - '0');
  }
  in.remove_prefix(n);
  return true;
}

bool Expect(std::string_view& in, char c) {
  if (in.empty() || in[0] != c) return false;
  in.remove_prefix(1);
  return true;
}

}  // namespace

Timestamp Timestamp::FromTimePoint(std::chrono::system_clock::time_point t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  int64_t seconds = ns / 1'000'000'000;
  int64_t nanos = ns % 1'000'000'000;
  if (nanos < 0) {
    nanos += 1'000'000'000;
    --seconds;
  }
  return Timestamp{seconds, static_cast<int32_t>(nanos)};
}

Result<Timestamp> ParseRfc3339(std::string_view text) {
  std::string_view in = text;
  int y, mo, d, h, mi, s;
  if (!Digits(in, 4, y) || !Expect(in, '-') || !Digits(in, 2, mo) || !Expect(in, '-') || !Digits(in, 2, d)) {
    return Bad(text, "date");
  }
  if (!Expect(in, 'T')) return Bad(text, "expected 'T' after the date");
  if (!Digits(in, 2, h) || !Expect(in, ':') || !Digits(in, 2, mi) || !Expect(in, ':') || !Digits(in, 2, s)) {
    return Bad(text, "time of day");
  }
  int32_t nanos = 0;
  if (!in.empty() && (in[0] == '.' || in[0] == ',') && in.size() > 1 && in[1] >= '0' && in[1] <= '9') {
    in.remove_prefix(1);
    int digits = 0;
    while (!in.empty() && in[0] >= '0' && in[0] <= '9') {
      if (++digits > 9) return Bad(text, "more than 9 fraction digits");
      nanos = nanos * 10 + (in[0] - '0');
      in.remove_prefix(1);
    }
    for (int i = digits; i < 9; ++i) nanos *= 10;
  }
  int offset_seconds = 0;
  if (Expect(in, 'Z')) {
    // UTC
  } else if (!in.empty() && (in[0] == '+' || in[0] == '-')) {
    int sign = in[0] == '-' ? -1 : 1;
    in.remove_prefix(1);
    int oh, om;
    if (!Digits(in, 2, oh) || !Expect(in, ':') || !Digits(in, 2, om) || oh > 23 || om > 59) {
      return Bad(text, "zone offset");
    }
    offset_seconds = sign * (oh * 3600 + om * 60);
  } else {
    return Bad(text, "expected 'Z' or a numeric zone offset");
  }
  if (!in.empty()) return Bad(text, "trailing characters");
  if (h > 23 || mi > 59 || s > 59) return Bad(text, "time of day out of range");
  year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!date.ok()) return Bad(text, "no such date");
  int64_t days = sys_days(date).time_since_epoch().count();
  int64_t seconds = days * 86400 + h * 3600 + mi * 60 + s - offset_seconds;
  return Timestamp{seconds, nanos};
}

std::string FormatRfc3339Nano(Timestamp t) {
  int64_t days = t.seconds / 86400;
  int64_t rest = t.seconds % 86400;
  if (rest < 0) {
    rest += 86400;
    --days;
  }
  year_month_day date{sys_days{std::chrono::days{days}}};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(rest / 3600), static_cast<int>(rest / 60 % 60), static_cast<int>(rest % 60));
  std::string out = buf;
  if (t.nanos != 0) {
    std::snprintf(buf, sizeof buf, ".%09d", t.nanos);
    std::string fraction = buf;
    while (fraction.back() == '0') fraction.pop_back();
    out += fraction;
  }
  return out + "Z";
}

}  // namespace ipfsfs::ipld
