// Chunkers: cut a byte stream into the chunks kubo's `--chunker` would cut
// (kubo-add.md §2): fixed `size-N`, `rabin[-…]` and `buzhash`.
//
// A Chunker pulls bytes from a ByteSource and hands out Chunks one by one; it
// never holds more than one maximal chunk plus a read window, whatever the
// stream's length. A Chunk shares ownership of the buffer it points into, so
// chunks can be hashed on other threads while the chunker reads on. A Chunker
// is used from one thread; Chunks may move between threads.
#ifndef IPFSFS_WRITEBACK_CHUNKER_H_
#define IPFSFS_WRITEBACK_CHUNKER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace ipfsfs::writeback {

// Largest chunk any chunker may be configured to emit: 2 MiB - 256 bytes, room
// for dag-pb framing inside a 2 MiB block (boxo chunker/parse.go).
inline constexpr uint64_t kMaxChunkSize = 2096896;
inline constexpr uint64_t kDefaultChunkSize = 262144;

// Where chunkers read from: fills `out` from the front and returns how many
// bytes it wrote; fewer than out.size() only at the end of the stream (0 = at
// the end). Errors are the source's (unreadable, changed while read).
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  [[nodiscard]] virtual Result<size_t> Read(std::span<std::byte> out) = 0;
};

// A source over bytes kept elsewhere (tests, small inputs). The bytes must
// outlive the source.
class SpanSource : public ByteSource {
 public:
  explicit SpanSource(ByteSpan bytes) : rest_(bytes) {}
  [[nodiscard]] Result<size_t> Read(std::span<std::byte> out) override;

 private:
  ByteSpan rest_;
};

// A piece of the input: a view into a shared buffer that stays alive as long
// as the Chunk (or a copy of it) does.
struct Chunk {
  std::shared_ptr<const std::byte[]> owner;
  ByteSpan bytes;
};

enum class ChunkerKind { kSize, kRabin, kBuzhash };

// A parsed `--chunker` string.
struct ChunkerSpec {
  ChunkerKind kind = ChunkerKind::kSize;
  uint64_t size = kDefaultChunkSize;  // kSize
  uint64_t min = 0, avg = 0, max = 0; // kRabin
  std::string text = "size-262144";   // as given, for messages
};

// Parses "", "default", "size-N", "rabin", "rabin-AVG", "rabin-MIN-AVG-MAX"
// (optionally labelled min:/avg:/max:) and "buzhash[-anything]" with boxo's
// exact acceptance rules (kubo-add.md §2.1). kInvalidArgument otherwise.
[[nodiscard]] Result<ChunkerSpec> ParseChunkerSpec(std::string_view text);

class Chunker {
 public:
  virtual ~Chunker() = default;
  // The next chunk, or nullopt at the end of the stream. Never an empty chunk;
  // empty input gives no chunk at all.
  [[nodiscard]] virtual Result<std::optional<Chunk>> Next() = 0;
};

// `source` must outlive the chunker.
std::unique_ptr<Chunker> MakeChunker(const ChunkerSpec& spec, ByteSource& source);

}  // namespace ipfsfs::writeback

#endif  // IPFSFS_WRITEBACK_CHUNKER_H_
