#include "publish/target_spec.h"

#include <catch2/catch.hpp>

namespace ipfsfs::publish {

TEST_CASE("target spec: the four forms parse and print back", "[publish]") {
  for (const char* text : {"kubo", "car:/tmp/site.car", "remote:pinata", "ipns:blog"}) {
    auto spec = TargetSpec::Parse(text);
    REQUIRE(spec);
    CHECK(spec->ToString() == text);
  }
  CHECK(TargetSpec::Parse("car:x:y.car")->arg == "x:y.car");
  CHECK(TargetSpec::Parse("ipns:blog")->kind == TargetSpec::Kind::kIpns);
}

TEST_CASE("target spec: anything else is refused with the accepted forms", "[publish]") {
  for (const char* text : {"", "kubo:", "car:", "remote:", "ipns:", "s3:bucket", "KUBO"}) {
    auto spec = TargetSpec::Parse(text);
    REQUIRE_FALSE(spec);
    CHECK(spec.error().code == ErrorCode::kInvalidArgument);
  }
  CHECK(TargetSpec::Parse("s3:x").error().message.find("car:PATH") != std::string::npos);
}

}  // namespace ipfsfs::publish
