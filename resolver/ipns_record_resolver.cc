#include "resolver/ipns_record_resolver.h"

#include <memory>
#include <mutex>
#include <optional>

#include "ipld/ipns_name.h"
#include "ipld/ipns_record.h"
#include "ipld/ipns_validation.h"

namespace ipfsfs::resolver {
namespace {

// One Resolve: the answers gathered until the last source has spoken.
struct Round {
  std::mutex mu;
  size_t remaining = 0;                  // GUARDED_BY(mu)
  std::optional<ipld::IpnsRecord> best;  // GUARDED_BY(mu)
  std::string best_source;               // GUARDED_BY(mu)
  std::vector<std::string> refusals;     // GUARDED_BY(mu): records that failed a check
  std::optional<Error> transport;        // GUARDED_BY(mu): the last unreachable source
};

IpnsValue ValueOf(const ipld::IpnsRecord& r, std::string source, std::chrono::nanoseconds default_ttl) {
  IpnsValue v;
  v.value = std::string(AsText(*r.data.value));
  v.sequence = static_cast<uint64_t>(r.data.sequence.value_or(0));
  if (auto t = ipld::ParseRfc3339(AsText(*r.data.validity))) v.validity = *t;
  v.ttl = r.data.ttl ? std::chrono::nanoseconds(*r.data.ttl) : default_ttl;
  v.source = std::move(source);
  return v;
}

}  // namespace

IpnsRecordResolver::IpnsRecordResolver(std::vector<blockcache::Source*> sources, NameStore& store,
                                       IpnsRecordResolverOptions options)
    : sources_(std::move(sources)), store_(store), options_(std::move(options)) {}

void IpnsRecordResolver::Resolve(const ipld::Multihash& name, IpnsCallback done) const {
  std::string text = ipld::FormatIpnsName(name);
  auto round = std::make_shared<Round>();
  round->remaining = sources_.size();
  // Copies: the round may end after this resolver is gone only if the caller
  // breaks the lifetime rule; store_ and options_ are still read through `this`.
  auto finish = [this, round, name, text, done]() {
    ipld::Timestamp now = options_.now();
    std::optional<ipld::IpnsRecord> stored;        // what the store holds, parsed (for its sequence)
    std::optional<ipld::IpnsRecord> stored_valid;  // the same when still usable
    if (auto raw = store_.Load(text); raw && *raw) {
      if (auto parsed = ipld::ParseIpnsRecord(**raw)) {
        // Only a record that once verified is stored, but the file is not trusted: its signature is checked again.
        auto verdict = ipld::CheckIpnsRecord(*parsed, name, now);
        bool signed_ok = true;
        for (const auto& c : verdict.checks) {
          if (!c.passed() && c.refusal != ipld::IpnsRefusal::kExpired) signed_ok = false;
        }
        if (signed_ok) stored = *parsed;
        if (verdict.valid()) stored_valid = std::move(*parsed);
      }
    }
    std::optional<ipld::IpnsRecord> best;
    std::string best_source;
    std::vector<std::string> refusals;
    std::optional<Error> transport;
    {
      std::lock_guard<std::mutex> lock(round->mu);
      best = std::move(round->best);
      best_source = std::move(round->best_source);
      refusals = std::move(round->refusals);
      transport = std::move(round->transport);
    }
    if (best && stored && best->data.sequence.value_or(0) < stored->data.sequence.value_or(0)) {
      refusals.push_back(best_source + ": rollback refused: sequence " + std::to_string(*best->data.sequence) +
                         " is lower than " + std::to_string(stored->data.sequence.value_or(0)) + ", seen before");
      best.reset();
    }
    if (best) {
      if (!stored || ipld::CompareIpnsRecords(*best, *stored) > 0) {
        (void)store_.Save(text, best->raw);  // best effort: a failed save only weakens rollback protection
      }
      return done(ValueOf(*best, best_source, options_.default_ttl));
    }
    if (stored_valid) return done(ValueOf(*stored_valid, "store", options_.default_ttl));
    std::string why;
    for (const auto& r : refusals) why += (why.empty() ? "" : "; ") + r;
    if (!refusals.empty()) return done(MakeError(ErrorCode::kNotFound, "/ipns/" + text + ": " + why));
    if (transport) return done(tl::unexpected(transport->Wrap("/ipns/" + text)));
    done(MakeError(ErrorCode::kNotFound, "/ipns/" + text + ": no source has a record"));
  };
  if (sources_.empty()) return finish();
  for (blockcache::Source* source : sources_) {
    std::string source_name = source->name();
    source->FetchIpnsRecord(
        text, [round, name, source_name, finish, now = options_.now](Result<std::shared_ptr<Bytes>> r) {
          std::optional<Result<ipld::IpnsRecord>> record;
          if (r) record = ipld::VerifyIpnsRecord(**r, name, now());  // outside the lock: signatures cost
          bool last;
          {
            std::lock_guard<std::mutex> lock(round->mu);
            if (record) {
              if (!*record) {
                round->refusals.push_back(source_name + ": " + record->error().message);
              } else if (!round->best || ipld::CompareIpnsRecords(**record, *round->best) > 0) {
                round->best = std::move(**record);
                round->best_source = source_name;
              }
            } else if (r.error().code != ErrorCode::kNotFound && r.error().code != ErrorCode::kUnsupported) {
              round->transport = r.error();
            }
            last = --round->remaining == 0;
          }
          if (last) finish();
        });
  }
}

}  // namespace ipfsfs::resolver
