// `ipfsfs cid format` and `ipfsfs cid inspect`: CID conversions, like kubo's `ipfs cid`.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "ipld/cid.h"
#include "tools/command.h"

namespace ipfsfs::tools {
namespace {

std::string CodeText(uint64_t code) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(code));
  return buf;
}

std::string BaseNames() {
  std::string names;
  for (auto base : ipld::AllMultibases()) {
    if (!names.empty()) names += ", ";
    names += ipld::MultibaseName(base);
  }
  return names;
}

int Format(const std::vector<std::string>& cids, int version, const std::string& base_name, bool json) {
  std::optional<ipld::Multibase> base;
  if (!base_name.empty()) {
    base = ipld::MultibaseFromName(base_name);
    if (!base) return ReportUsage("unknown multibase '" + base_name + "' (one of: " + BaseNames() + ")");
  }
  int status = 0;
  for (const auto& text : cids) {
    auto cid = ipld::Cid::Parse(text);
    if (!cid) {
      status = ReportError("cid format " + text, cid.error());
      continue;
    }
    ipld::Cid out = *cid;
    if (version == 1) out = cid->ToV1();
    if (version == 0) {
      auto v0 = cid->ToV0();
      if (!v0) {
        status = ReportError("cid format " + text, v0.error());
        continue;
      }
      out = *v0;
    }
    if (base && out.version() == 0 && *base != ipld::Multibase::kBase58Btc) {
      if (version == 0) {
        status = ReportUsage("cid format " + text + ": a CIDv0 can only be written in base58btc");
        continue;
      }
      out = out.ToV1();  // as kubo's cid encoder upgrades v0 when another base is asked for
    }
    std::string printed = base ? out.ToString(*base) : out.ToString();
    if (json) {
      std::cout << nlohmann::json{{"cid", text}, {"formatted", printed}}.dump() << "\n";
    } else {
      std::cout << printed << "\n";
    }
  }
  return status;
}

int Inspect(const std::string& text, bool json) {
  auto cid = ipld::Cid::Parse(text);
  if (!cid) return ReportError("cid inspect " + text, cid.error());
  const auto& mh = cid->hash();
  if (json) {
    nlohmann::json j = {{"cid", cid->ToString()},
                        {"version", cid->version()},
                        {"codec", ipld::CodecName(cid->codec()).value_or("unknown")},
                        {"codec_code", cid->codec()},
                        {"multihash", mh.name()},
                        {"multihash_code", mh.code()},
                        {"length", mh.digest().size()},
                        {"digest", ToHex(mh.digest())}};
    if (auto v0 = cid->ToV0()) j["cidv0"] = v0->ToString();
    for (auto base : ipld::AllMultibases()) j["cidv1"][std::string(ipld::MultibaseName(base))] = cid->ToV1().ToString(base);
    std::cout << j.dump() << "\n";
    return 0;
  }
  std::cout << "CID:        " << cid->ToString() << "\n"
            << "Version:    " << cid->version() << "\n"
            << "Codec:      " << ipld::CodecName(cid->codec()).value_or("unknown") << " (" << CodeText(cid->codec())
            << ")\n"
            << "Multihash:  " << mh.name() << " (" << CodeText(mh.code()) << ")\n"
            << "Length:     " << mh.digest().size() << " bytes\n"
            << "Digest:     " << ToHex(mh.digest()) << "\n";
  if (auto v0 = cid->ToV0()) std::cout << "CIDv0:      " << v0->ToString() << "\n";
  std::cout << "CIDv1:\n";
  for (auto base : ipld::AllMultibases()) {
    std::string name(ipld::MultibaseName(base));
    name.resize(16, ' ');
    std::cout << "  " << name << cid->ToV1().ToString(base) << "\n";
  }
  return 0;
}

void Setup(CLI::App& app, int& exit_code) {
  auto* cid = app.add_subcommand("cid", "Convert and inspect CIDs");
  cid->require_subcommand(1);

  auto* format = cid->add_subcommand("format", "Print CIDs in another version or multibase");
  auto cids = std::make_shared<std::vector<std::string>>();
  auto version = std::make_shared<int>(-1);
  auto base = std::make_shared<std::string>();
  format->add_option("cid", *cids, "CIDs to convert")->required();
  format->add_option("-v,--version", *version, "CID version to print (0 or 1)")->check(CLI::IsMember({0, 1}));
  format->add_option("-b,--base", *base, "Multibase for CIDv1 (base32, base36, base58btc, base64url, ...)");
  auto format_json = std::make_shared<bool>(false);
  format->add_flag("--json", *format_json, "One JSON object per CID: {\"cid\", \"formatted\"}");
  format->callback([&exit_code, cids, version, base, format_json] {
    exit_code = Format(*cids, *version, *base, *format_json);
  });

  auto* inspect = cid->add_subcommand("inspect", "Show a CID's version, codec, multihash and every base form");
  auto one = std::make_shared<std::string>();
  inspect->add_option("cid", *one, "CID to inspect")->required();
  auto inspect_json = std::make_shared<bool>(false);
  inspect->add_flag("--json", *inspect_json, "One JSON object");
  inspect->callback([&exit_code, one, inspect_json] { exit_code = Inspect(*one, *inspect_json); });
}

IPFSFS_REGISTER_COMMAND(90, Setup);

}  // namespace
}  // namespace ipfsfs::tools
