// `ipfsfs name inspect FILE [--verify NAME] [--json]`: every field of an IPNS
// record and the verdict of each check, like kubo's `ipfs name inspect`.
// `ipfsfs name publish --key NAME /ipfs/CID[/path]`: a record signed with a
// keystore key, put to the kubo node (--api) and delegated routing endpoints
// (--routing), like kubo's `ipfs name publish` (publish/name_publisher.h).
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "ipld/ipns_name.h"
#include "ipld/ipns_record.h"
#include "ipld/ipns_validation.h"
#include "ipld/multibase.h"
#include "publish/name_publisher.h"
#include "tools/command.h"
#include "tools/internal/name_options.h"
#include "tools/internal/name_publishing.h"
#include "tools/internal/source_options.h"

namespace ipfsfs::tools {
namespace {

using nlohmann::ordered_json;

// Go's %q for record bytes: printable ASCII as is, the rest escaped.
std::string Quote(const Bytes& bytes) {
  std::string out = "\"";
  for (std::byte b : bytes) {
    auto c = std::to_integer<unsigned char>(b);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out + "\"";
}

// Go's time.Duration text ("1h0m0s", "5m0s", "1.5s"), as kubo prints TTLs.
std::string GoDuration(int64_t ns) {
  if (ns < 0) return "-" + GoDuration(-(ns + 1) + 1);
  int64_t s = ns / 1'000'000'000, frac = ns % 1'000'000'000;
  std::string secs = std::to_string(s % 60);
  if (frac) {
    char buf[16];
    std::snprintf(buf, sizeof buf, ".%09" PRId64, frac);
    std::string f = buf;
    while (f.back() == '0') f.pop_back();
    secs += f;
  }
  if (s < 60) return secs + "s";
  if (s < 3600) return std::to_string(s / 60) + "m" + secs + "s";
  return std::to_string(s / 3600) + "h" + std::to_string(s / 60 % 60) + "m" + secs + "s";
}

template <class T>
std::string Opt(const std::optional<T>& v) {
  if (!v) return "absent";
  if constexpr (std::is_same_v<T, Bytes>) {
    return Quote(*v);
  } else {
    return std::to_string(*v);
  }
}

std::string HexField(const std::optional<Bytes>& v) {
  return v ? std::to_string(v->size()) + " bytes " + ToHex(*v) : "absent";
}

void PrintText(const ipld::IpnsRecord& r, const ipld::IpnsVerdict* verdict, const std::string& name) {
  const ipld::IpnsData& d = r.data;
  const ipld::IpnsEntry& e = r.entry;
  std::cout << "Signature Type: \"" << r.SignatureType() << "\"\n"
            << "Protobuf Size:  " << r.raw.size() << "\n"
            << "Data (signed by signatureV2):\n"
            << "  Value:          " << Opt(d.value) << "\n"
            << "  Validity Type:  " << (d.validity_type == 0 ? "\"EOL\"" : Opt(d.validity_type)) << "\n"
            << "  Validity:       " << Opt(d.validity) << "\n"
            << "  Sequence:       " << Opt(d.sequence) << "\n"
            << "  TTL:            " << (d.ttl ? GoDuration(*d.ttl) + " (" + std::to_string(*d.ttl) + " ns)" : "absent")
            << "\n";
  for (const auto& key : d.other_keys) std::cout << "  Other key:      \"" << key << "\" (ignored)\n";
  std::cout << "Protobuf fields:\n"
            << "  value:          " << Opt(e.value) << "\n"
            << "  signatureV1:    " << HexField(e.signature_v1) << "\n"
            << "  validityType:   " << Opt(e.validity_type) << "\n"
            << "  validity:       " << Opt(e.validity) << "\n"
            << "  sequence:       " << Opt(e.sequence) << "\n"
            << "  ttl:            " << Opt(e.ttl) << "\n"
            << "  pubKey:         " << HexField(e.pub_key) << "\n"
            << "  signatureV2:    " << HexField(e.signature_v2) << "\n"
            << "  data:           " << HexField(e.data) << "\n";
  if (!verdict) {
    std::cout << "\n'ipfsfs name inspect --verify NAME' checks the record against a name\n";
    return;
  }
  auto refusal = verdict->refusal();
  std::cout << "\nValidation results:\n"
            << "  Valid:          " << (refusal ? "false" : "true") << "\n"
            << "  Reason:         " << (refusal ? verdict->ToStatus().error().message : "") << "\n"
            << "  Name:           " << name << "\n";
  for (const auto& c : verdict->checks) {
    std::string label(c.name);
    label += ":";
    label.resize(16, ' ');
    std::cout << "  " << label << (c.passed() ? "ok" : "FAILED") << " (" << c.detail << ")\n";
  }
}

ordered_json DataJson(const ipld::IpnsData& d) {
  auto bytes = [](const std::optional<Bytes>& b) -> ordered_json {
    if (!b) return nullptr;
    return {{"/", {{"bytes", ipld::EncodeWithoutPrefix(ipld::Multibase::kBase64, *b)}}}};
  };
  auto num = [](const std::optional<int64_t>& v) -> ordered_json { return v ? ordered_json(*v) : ordered_json(); };
  return {{"TTL", num(d.ttl)}, {"Value", bytes(d.value)}, {"Sequence", num(d.sequence)},
          {"Validity", bytes(d.validity)}, {"ValidityType", num(d.validity_type)}, {"OtherKeys", d.other_keys}};
}

void PrintJson(const ipld::IpnsRecord& r, const ipld::IpnsVerdict* verdict, const std::string& name) {
  const ipld::IpnsData& d = r.data;
  const ipld::IpnsEntry& e = r.entry;
  auto text = [](const std::optional<Bytes>& b) -> ordered_json {
    return b ? ordered_json(std::string(AsText(*b))) : ordered_json();
  };
  auto hex = [](const std::optional<Bytes>& b) -> ordered_json { return b ? ordered_json(ToHex(*b)) : ordered_json(); };
  auto num = [](const auto& v) -> ordered_json { return v ? ordered_json(*v) : ordered_json(); };
  ordered_json out = {
      {"Entry",
       {{"Value", text(d.value)}, {"ValidityType", num(d.validity_type)}, {"Validity", text(d.validity)},
        {"Sequence", num(d.sequence)}, {"TTL", num(d.ttl)}, {"PublicKey", hex(e.pub_key)},
        {"SignatureV1", hex(e.signature_v1)}, {"SignatureV2", hex(e.signature_v2)}, {"Data", DataJson(d)}}},
      {"Protobuf",
       {{"value", text(e.value)}, {"signatureV1", hex(e.signature_v1)}, {"validityType", num(e.validity_type)},
        {"validity", text(e.validity)}, {"sequence", num(e.sequence)}, {"ttl", num(e.ttl)},
        {"pubKey", hex(e.pub_key)}, {"signatureV2", hex(e.signature_v2)}, {"data", hex(e.data)}}},
      {"PbSize", r.raw.size()},
      {"SignatureType", r.SignatureType()},
  };
  if (verdict) {
    ordered_json checks = ordered_json::array();
    for (const auto& c : verdict->checks) {
      checks.push_back({{"Check", c.name}, {"Passed", c.passed()}, {"Detail", c.detail}});
    }
    auto status = verdict->ToStatus();
    out["Validation"] = {{"Valid", status.has_value()},
                         {"Reason", status ? "" : status.error().message},
                         {"Name", name},
                         {"Checks", checks}};
  }
  std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

int Inspect(const std::string& file, const std::string& verify, bool json) {
  std::optional<ipld::Multihash> name;
  if (!verify.empty()) {
    auto parsed = ipld::ParseIpnsName(verify);
    if (!parsed) return ReportUsage("name inspect --verify " + verify + ": " + parsed.error().message);
    name = *parsed;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return ReportError("name inspect " + file, Error{ErrorCode::kNotFound, "cannot open the file"});
  // One byte past the limit is enough to refuse an oversized record.
  Bytes raw;
  std::istreambuf_iterator<char> it(in), end;
  for (; it != end && raw.size() <= ipld::kMaxIpnsRecordSize; ++it) raw.push_back(static_cast<std::byte>(*it));
  if (in.bad()) return ReportError("name inspect " + file, Error{ErrorCode::kUnavailable, "read error"});

  if (raw.size() > ipld::kMaxIpnsRecordSize) {
    std::error_code ec;
    auto size = std::filesystem::file_size(file, ec);
    std::string detail = ec ? "more than " + std::to_string(ipld::kMaxIpnsRecordSize) + " bytes"
                            : std::to_string(size) + " bytes (limit " + std::to_string(ipld::kMaxIpnsRecordSize) + ")";
    return ReportError("name inspect " + file, ipld::IpnsRefusalError(ipld::IpnsRefusal::kTooLarge, detail));
  }
  auto record = ipld::ParseIpnsRecord(raw);
  if (!record) return ReportError("name inspect " + file, record.error());
  std::optional<ipld::IpnsVerdict> verdict;
  std::string canonical;
  if (name) {
    auto now = ipld::Timestamp::FromTimePoint(std::chrono::system_clock::now());
    verdict = ipld::CheckIpnsRecord(*record, *name, now);
    canonical = ipld::FormatIpnsName(*name);
  }
  const ipld::IpnsVerdict* v = verdict ? &*verdict : nullptr;
  json ? PrintJson(*record, v, canonical) : PrintText(*record, v, canonical);
  if (verdict) {
    auto status = verdict->ToStatus();
    if (!status) return ReportError("name inspect " + file, status.error());
  }
  return 0;
}

struct PublishFlags {
  std::string key;
  std::string lifetime = "48h";
  std::string ttl;  // empty: 5m, capped to the lifetime (kubo 0.43)
  bool allow_offline = false;
  std::optional<uint64_t> sequence;
  bool json = false;
  SourceOptions sources;
  NameOptions names;
};

int Publish(const std::string& path, const PublishFlags& f) {
  const std::string what = "name publish";
  if (f.key.empty() || f.key == "self") {
    return ReportUsage(what + ": --key NAME is needed (ipfsfs has no node key 'self'; make one with ipfsfs key gen NAME)");
  }
  publish::PublishOptions options;
  options.allow_offline = f.allow_offline;
  options.sequence = f.sequence;
  auto lifetime = ParseDuration(f.lifetime);
  if (!lifetime) return ReportUsage(what + ": --lifetime: " + lifetime.error().message);
  options.lifetime = *lifetime;
  if (!f.ttl.empty()) {
    auto ttl = ParseDuration(f.ttl);
    if (!ttl) return ReportUsage(what + ": --ttl: " + ttl.error().message);
    options.ttl = *ttl;
  } else {
    options.ttl = std::min<std::chrono::nanoseconds>(options.ttl, options.lifetime);
  }
  auto value = publish::NormalizeIpnsValue(path);
  if (!value) return ReportUsage(what + ": " + value.error().message);

  auto publishing = NamePublishing::Open(f.sources, f.names);
  if (!publishing) {
    return publishing.error().code == ErrorCode::kInvalidArgument
               ? ReportUsage(what + ": " + publishing.error().message)
               : ReportError(what, publishing.error());
  }
  const Keystore& keystore = (*publishing)->keystore();
  std::string key_name = f.key;
  auto key = keystore.Get(key_name);
  if (!key && key.error().code == ErrorCode::kNotFound) {
    // As kubo, --key may also be the key's name in k51… or 12D3KooW… form.
    auto wanted = ipld::ParseIpnsName(f.key);
    auto names = keystore.List();
    for (size_t i = 0; wanted && names && i < names->size(); ++i) {
      auto candidate = keystore.Get((*names)[i]);
      if (candidate && candidate->Public().PeerId() == *wanted) {
        key_name = (*names)[i];
        key = std::move(candidate);
        break;
      }
    }
  }
  if (!key) return ReportError(what, key.error());  // absent, or refused (readable by others)
  options.key_name = key_name;
  auto result = (*publishing)->publisher().Publish(*key, *value, options);
  if (!result) {
    return result.error().code == ErrorCode::kInvalidArgument ? ReportUsage(what + ": " + result.error().message)
                                                              : ReportError(what, result.error());
  }
  int rc = 0;
  for (const auto& o : result->outcomes) {
    if (!o.status) rc = ReportError(what + ": " + o.target, o.status.error());
  }
  if (f.json) {
    ordered_json targets_json = ordered_json::array();
    for (const auto& o : result->outcomes) {
      targets_json.push_back({{"Target", o.target}, {"Ok", o.status.has_value()},
                              {"Error", o.status ? "" : o.status.error().message}});
    }
    std::cout << ordered_json{{"Name", result->name},
                              {"Value", result->value},
                              {"Sequence", result->sequence},
                              {"Validity", ipld::FormatRfc3339Nano(result->eol)},
                              {"Targets", targets_json}}
                     .dump()
              << "\n";
  } else if (rc == 0) {
    std::cout << "Published to " << result->name << ": " << result->value << "\n";
  }
  return rc;
}

void Setup(CLI::App& app, int& exit_code) {
  auto* name = app.add_subcommand("name", "IPNS names and records");
  name->require_subcommand(1);
  auto* inspect = name->add_subcommand("inspect", "Print every field of an IPNS record and, with --verify, each check");
  auto file = std::make_shared<std::string>();
  auto verify = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  inspect->add_option("file", *file, "Record file (application/vnd.ipfs.ipns-record)")->required();
  inspect->add_option("--verify", *verify, "Check the record against this name (k51…, 12D3KooW…, Qm…)");
  inspect->add_flag("--json", *json, "Print JSON");
  inspect->callback([&exit_code, file, verify, json] { exit_code = Inspect(*file, *verify, *json); });

  auto* pub = name->add_subcommand("publish", "Sign a record for a key's name and put it to the kubo node and routing endpoints");
  auto path = std::make_shared<std::string>();
  auto flags = std::make_shared<PublishFlags>();
  pub->add_option("path", *path, "/ipfs/CID[/path], /ipns/NAME or a CID")->required();
  pub->add_option("-k,--key", flags->key, "Keystore key to sign with: its name, or its k51… name");
  pub->add_option("-t,--lifetime", flags->lifetime, "How long the record is valid (default 48h)");
  pub->add_option("--ttl", flags->ttl, "How long resolvers may cache it (default 5m)");
  pub->add_flag("--allow-offline", flags->allow_offline, "With no --api or --routing target, only store the record locally");
  pub->add_option("--sequence", flags->sequence, "Sequence number (above the current one)");
  pub->add_flag("--json", flags->json, "Print JSON");
  AddSourceOptions(*pub, flags->sources);
  AddNameOptions(*pub, flags->names);
  pub->callback([&exit_code, path, flags] { exit_code = Publish(*path, *flags); });
}

IPFSFS_REGISTER_COMMAND(85, Setup);

}  // namespace
}  // namespace ipfsfs::tools
