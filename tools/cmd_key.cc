// `ipfsfs key gen|list|rm|rename|export|import`: the IPNS signing keys of the
// keystore (tools/internal/keystore.h), spelled as kubo's `ipfs key`.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "ipld/ipns_name.h"
#include "ipld/libp2p_private_key.h"
#include "tools/command.h"
#include "tools/internal/keystore.h"

namespace ipfsfs::tools {
namespace {

using nlohmann::ordered_json;

constexpr std::string_view kProtobufFormat = "libp2p-protobuf-cleartext";
constexpr std::string_view kPemFormat = "pem-pkcs8-cleartext";

std::string IdOf(const ipld::PrivateKey& key) { return ipld::FormatIpnsName(key.Public().PeerId()); }

int Gen(const std::string& name, const std::string& type, int size, bool json) {
  ipld::KeyType kt;
  if (type == "ed25519") {
    kt = ipld::KeyType::kEd25519;
  } else if (type == "rsa") {
    kt = ipld::KeyType::kRsa;
  } else {
    return ReportUsage("key gen: unrecognized key type '" + type + "' (ed25519 or rsa)");
  }
  if (size != 0 && kt != ipld::KeyType::kRsa) return ReportUsage("key gen: --size applies to rsa keys only");
  if (auto ok = Keystore::ValidateName(name); !ok) return ReportUsage("key gen: " + ok.error().message);
  if (name == "self") return ReportUsage("key gen: cannot create key with name 'self'");
  auto store = Keystore::Open(Keystore::DefaultDir());
  if (!store) return ReportError("key gen", store.error());
  if (store->Has(name))
    return ReportError("key gen", Error{ErrorCode::kInvalidArgument, "key with name '" + name + "' already exists"});
  auto key = ipld::PrivateKey::Generate(kt, size ? size : ipld::kDefaultRsaBits);
  if (!key)
    return key.error().code == ErrorCode::kInvalidArgument ? ReportUsage("key gen: " + key.error().message)
                                                           : ReportError("key gen", key.error());
  if (auto ok = store->Put(name, *key); !ok) return ReportError("key gen", ok.error());
  if (json) {
    std::cout << ordered_json{{"Name", name}, {"Id", IdOf(*key)}}.dump() << "\n";
  } else {
    std::cout << IdOf(*key) << "\n";
  }
  return 0;
}

int List(bool long_form, bool json) {
  auto store = Keystore::Open(Keystore::DefaultDir());
  if (!store) return ReportError("key list", store.error());
  auto names = store->List();
  if (!names) return ReportError("key list", names.error());
  ordered_json keys = ordered_json::array();
  int rc = 0;
  for (const auto& name : *names) {
    std::string id;
    if (long_form || json) {
      auto key = store->Get(name);
      if (!key) {
        rc = ReportError("key list: " + name, key.error());
        continue;
      }
      id = IdOf(*key);
    }
    if (json) {
      keys.push_back({{"Name", name}, {"Id", id}});
    } else if (long_form) {
      std::cout << id << "  " << name << "\n";
    } else {
      std::cout << name << "\n";
    }
  }
  if (json) std::cout << ordered_json{{"Keys", keys}}.dump() << "\n";
  return rc;
}

int Remove(const std::vector<std::string>& names, bool long_form, bool json) {
  auto store = Keystore::Open(Keystore::DefaultDir());
  if (!store) return ReportError("key rm", store.error());
  ordered_json keys = ordered_json::array();
  int rc = 0;
  for (const auto& name : names) {
    auto key = store->Get(name);  // the id is printed, and a key that is no key is refused as kubo does
    if (!key) {
      rc = ReportError("key rm " + name, key.error());
      continue;
    }
    if (auto ok = store->Remove(name); !ok) {
      rc = ReportError("key rm " + name, ok.error());
      continue;
    }
    if (json) {
      keys.push_back({{"Name", name}, {"Id", IdOf(*key)}});
    } else {
      std::cout << (long_form ? IdOf(*key) + "  " + name : name) << "\n";
    }
  }
  if (json) std::cout << ordered_json{{"Keys", keys}}.dump() << "\n";
  return rc;
}

int Rename(const std::string& from, const std::string& to, bool force, bool json) {
  auto store = Keystore::Open(Keystore::DefaultDir());
  if (!store) return ReportError("key rename", store.error());
  auto key = store->Get(from);
  if (!key) return ReportError("key rename " + from, key.error());
  bool existed = store->Has(to);
  if (auto ok = store->Rename(from, to, force); !ok) return ReportError("key rename " + from, ok.error());
  if (json) {
    std::cout << ordered_json{{"Was", from}, {"Now", to}, {"Id", IdOf(*key)}, {"Overwrite", existed}}.dump() << "\n";
  } else {
    std::cout << "Key " << IdOf(*key) << " was renamed to \"" << to << "\"\n";
  }
  return 0;
}

int Export(const std::string& name, std::string out, const std::string& format) {
  if (format != kProtobufFormat && format != kPemFormat) {
    return ReportUsage("key export: unknown format '" + format + "' (" + std::string(kProtobufFormat) + " or " +
                       std::string(kPemFormat) + ")");
  }
  auto store = Keystore::Open(Keystore::DefaultDir());
  if (!store) return ReportError("key export", store.error());
  auto key = store->Get(name);
  if (!key) return ReportError("key export " + name, key.error());
  Bytes data = format == kPemFormat ? ToBytes(key->ToPkcs8Pem()) : key->Encode();
  if (out.empty()) out = name + (format == kPemFormat ? ".pem" : ".key");
  // 0600 from the start: a private key never exists readable by others.
  int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ::fchmod(fd, 0600) != 0) {
    if (fd >= 0) ::close(fd);
    return ReportError("key export " + name, Error{ErrorCode::kUnavailable, "cannot write " + out});
  }
  bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  ok = ::close(fd) == 0 && ok;
  if (!ok) return ReportError("key export " + name, Error{ErrorCode::kUnavailable, "cannot write " + out});
  return 0;
}

int Import(const std::string& name, const std::string& file, const std::string& format, bool json) {
  if (format != kProtobufFormat && format != kPemFormat) {
    return ReportUsage("key import: unknown format '" + format + "' (" + std::string(kProtobufFormat) + " or " +
                       std::string(kPemFormat) + ")");
  }
  if (auto ok = Keystore::ValidateName(name); !ok) return ReportUsage("key import: " + ok.error().message);
  if (name == "self") return ReportUsage("key import: cannot import key with name 'self'");
  std::ifstream in(file, std::ios::binary);
  if (!in) return ReportError("key import " + file, Error{ErrorCode::kNotFound, "cannot open the file"});
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto key = format == kPemFormat ? ipld::PrivateKey::FromPkcs8Pem(text) : ipld::PrivateKey::Decode(AsBytes(text));
  if (!key) return ReportError("key import " + file, key.error());
  auto store = Keystore::Open(Keystore::DefaultDir());
  if (!store) return ReportError("key import", store.error());
  if (auto ok = store->Put(name, *key); !ok) return ReportError("key import " + name, ok.error());
  if (json) {
    std::cout << ordered_json{{"Name", name}, {"Id", IdOf(*key)}}.dump() << "\n";
  } else {
    std::cout << IdOf(*key) << "\n";
  }
  return 0;
}

void Setup(CLI::App& app, int& exit_code) {
  auto* key = app.add_subcommand("key", "IPNS signing keys (in $XDG_DATA_HOME/ipfsfs/keystore, kubo's layout)");
  key->require_subcommand(1);
  auto json = std::make_shared<bool>(false);
  auto long_form = std::make_shared<bool>(false);

  auto* gen = key->add_subcommand("gen", "Create a new key and print its name (k51…)");
  auto gen_name = std::make_shared<std::string>();
  auto type = std::make_shared<std::string>("ed25519");
  auto size = std::make_shared<int>(0);
  gen->add_option("name", *gen_name, "Key name")->required();
  gen->add_option("-t,--type", *type, "Key type: ed25519 (default) or rsa");
  gen->add_option("-s,--size", *size, "RSA key size in bits (default 2048)");
  gen->add_flag("--json", *json, "Print JSON");
  gen->callback([&exit_code, gen_name, type, size, json] { exit_code = Gen(*gen_name, *type, *size, *json); });

  auto* list = key->add_subcommand("list", "List the keys");
  list->add_flag("-l", *long_form, "Show the name (k51…) of each key");
  list->add_flag("--json", *json, "Print JSON");
  list->callback([&exit_code, long_form, json] { exit_code = List(*long_form, *json); });

  auto* rm = key->add_subcommand("rm", "Remove keys");
  auto rm_names = std::make_shared<std::vector<std::string>>();
  rm->add_option("names", *rm_names, "Key names")->required();
  rm->add_flag("-l", *long_form, "Show the name (k51…) of each key");
  rm->add_flag("--json", *json, "Print JSON");
  rm->callback([&exit_code, rm_names, long_form, json] { exit_code = Remove(*rm_names, *long_form, *json); });

  auto* rename = key->add_subcommand("rename", "Rename a key");
  auto from = std::make_shared<std::string>();
  auto to = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  rename->add_option("old", *from, "Current key name")->required();
  rename->add_option("new", *to, "New key name")->required();
  rename->add_flag("-f,--force", *force, "Overwrite a key of the new name");
  rename->add_flag("--json", *json, "Print JSON");
  rename->callback([&exit_code, from, to, force, json] { exit_code = Rename(*from, *to, *force, *json); });

  auto* exp = key->add_subcommand("export", "Write a key to a file (mode 0600)");
  auto exp_name = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto exp_format = std::make_shared<std::string>(kProtobufFormat);
  exp->add_option("name", *exp_name, "Key name")->required();
  exp->add_option("-o,--output", *out, "Output file (default NAME.key, or NAME.pem)");
  exp->add_option("-f,--format", *exp_format, "libp2p-protobuf-cleartext (default) or pem-pkcs8-cleartext");
  exp->callback([&exit_code, exp_name, out, exp_format] { exit_code = Export(*exp_name, *out, *exp_format); });

  auto* imp = key->add_subcommand("import", "Store a key from a file and print its name (k51…)");
  auto imp_name = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  auto imp_format = std::make_shared<std::string>(kProtobufFormat);
  imp->add_option("name", *imp_name, "Key name")->required();
  imp->add_option("file", *file, "Key file")->required();
  imp->add_option("-f,--format", *imp_format, "libp2p-protobuf-cleartext (default) or pem-pkcs8-cleartext");
  imp->add_flag("--json", *json, "Print JSON");
  imp->callback(
      [&exit_code, imp_name, file, imp_format, json] { exit_code = Import(*imp_name, *file, *imp_format, *json); });
}

IPFSFS_REGISTER_COMMAND(84, Setup);

}  // namespace
}  // namespace ipfsfs::tools
