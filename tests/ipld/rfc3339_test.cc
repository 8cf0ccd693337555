#include "ipld/rfc3339.h"

#include <catch2/catch.hpp>

using namespace ipfsfs::ipld;

TEST_CASE("RFC 3339 as Go's RFC3339Nano parses it", "[rfc3339]") {
  auto t = ParseRfc3339("2126-01-01T00:00:00.000000000Z");
  REQUIRE(t);
  CHECK(t->seconds == 4922899200);
  CHECK(t->nanos == 0);
  CHECK(ParseRfc3339("2126-01-01T00:00:00Z") == *t);
  CHECK(ParseRfc3339("2126-01-01T01:30:00+01:30") == *t);
  CHECK(ParseRfc3339("2125-12-31T23:00:00-01:00") == *t);
  CHECK(ParseRfc3339("1970-01-01T00:00:00Z")->seconds == 0);
  CHECK(ParseRfc3339("1969-12-31T23:59:59.5Z") == Timestamp{-1, 500000000});
  auto frac = ParseRfc3339("2123-08-14T12:17:03.694052Z");
  REQUIRE(frac);
  CHECK(frac->nanos == 694052000);
  CHECK(ParseRfc3339("2000-02-29T00:00:00,1Z")->nanos == 100000000);
  for (const char* bad : {"2126-01-01T00:00:00z", "2126-01-01 00:00:00Z", "2126-01-01T00:00:00",
                          "2126-01-01T00:00:00.1234567891Z", "2126-13-01T00:00:00Z", "2125-02-29T00:00:00Z",
                          "2126-01-01T24:00:00Z", "2126-01-01T00:60:00Z", "2126-01-01T00:00:60Z",
                          "2126-01-01T00:00:00+24:00", "2126-01-01T00:00:00Zjunk", "26-01-01T00:00:00Z", "",
                          "2126-01-01T00:00:00.Z"}) {
    INFO(bad);
    auto r = ParseRfc3339(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ipfsfs::ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("RFC3339Nano formatting drops trailing zeros like Go", "[rfc3339]") {
  CHECK(FormatRfc3339Nano(*ParseRfc3339("2126-01-01T00:00:00.000000000Z")) == "2126-01-01T00:00:00Z");
  CHECK(FormatRfc3339Nano(*ParseRfc3339("2123-08-14T12:17:03.694052000Z")) == "2123-08-14T12:17:03.694052Z");
  CHECK(FormatRfc3339Nano(Timestamp{-1, 1}) == "1969-12-31T23:59:59.000000001Z");
  CHECK(FormatRfc3339Nano(*ParseRfc3339("9999-12-31T23:59:59.999999999Z")) == "9999-12-31T23:59:59.999999999Z");
  auto now = std::chrono::system_clock::time_point(std::chrono::nanoseconds(1'700'000'000'123'456'789));
  CHECK(Timestamp::FromTimePoint(now) == Timestamp{1'700'000'000, 123'456'789});
}
