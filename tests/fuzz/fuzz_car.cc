// Fuzzes CarParser. The input is a CAR; it is read whole (ReadCar) and fed to
// a CarParser in pseudo-random splits derived from the input's hash. Properties:
// both agree (same blocks and offsets, or the same error), and a CAR that reads
// re-encodes as a CARv1 that reads back to the same roots and blocks.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "ipld/car.h"
#include "tests/fuzz/fuzz_check.h"

using ipfsfs::ByteSpan;
using ipfsfs::Bytes;
using ipfsfs::Error;
using ipfsfs::ipld::CarBlock;
using ipfsfs::ipld::CarParser;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan input(reinterpret_cast<const std::byte*>(data), size);
  auto whole = ipfsfs::ipld::ReadCar(input);

  uint64_t state = 14695981039346656037ull;  // FNV-1a of the input seeds the splits
  for (size_t i = 0; i < size; ++i) state = (state ^ data[i]) * 1099511628211ull;
  auto next_split = [&]() -> size_t {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    uint64_t r = state >> 24;
    return (r & 3) == 0 ? 1 + (r >> 2) % 4096 : 1 + (r >> 2) % 16;
  };

  CarParser parser;
  std::vector<CarBlock> blocks;
  std::optional<Error> error;
  auto drain = [&] {
    while (!error) {
      auto next = parser.Next();
      if (!next) {
        error = next.error();
        break;
      }
      if (!*next) break;
      blocks.push_back(std::move(**next));
    }
  };
  size_t pos = 0;
  while (pos < size && !error) {
    size_t n = std::min(next_split(), size - pos);
    parser.Feed(input.subspan(pos, n));
    pos += n;
    drain();
  }
  if (!error) {
    parser.Finish();
    drain();
  }

  if (!whole) {
    FUZZ_CHECK(whole.error().code == ipfsfs::ErrorCode::kCorrupt);
    FUZZ_CHECK(error.has_value());
    FUZZ_CHECK(error->code == whole.error().code);
    FUZZ_CHECK(error->message == whole.error().message);
    return 0;
  }
  FUZZ_CHECK(!error);
  FUZZ_CHECK(parser.at_end());
  FUZZ_CHECK(parser.header().has_value());
  FUZZ_CHECK(parser.header()->version == whole->header.version);
  FUZZ_CHECK(parser.header()->roots == whole->header.roots);
  FUZZ_CHECK(blocks.size() == whole->blocks.size());
  uint64_t last_end = 0;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const CarBlock& a = blocks[i];
    const CarBlock& b = whole->blocks[i];
    FUZZ_CHECK(a.cid == b.cid);
    FUZZ_CHECK(a.data == b.data);
    FUZZ_CHECK(a.offset == b.offset);
    FUZZ_CHECK(a.offset >= last_end);
    last_end = a.offset + a.cid.EncodedLength() + a.data.size();
    FUZZ_CHECK(last_end < size);
  }

  Bytes car = ipfsfs::ipld::EncodeCarV1Header(whole->header.roots);
  for (const CarBlock& block : whole->blocks) {
    ipfsfs::ipld::AppendCarSection(car, block.cid, block.data);
  }
  auto again = ipfsfs::ipld::ReadCar(car);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->header.version == 1);
  FUZZ_CHECK(again->header.roots == whole->header.roots);
  FUZZ_CHECK(again->blocks.size() == whole->blocks.size());
  for (size_t i = 0; i < blocks.size(); ++i) {
    FUZZ_CHECK(again->blocks[i].cid == whole->blocks[i].cid);
    FUZZ_CHECK(again->blocks[i].data == whole->blocks[i].data);
  }
  return 0;
}
