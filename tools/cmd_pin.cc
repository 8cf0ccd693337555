// `ipfsfs pin remote …`: kubo's remote pinning commands over the Pinning
// Service API (publish.md §2): `service add|ls|rm` keep the services
// (tools/internal/pin_services.h); `add`, `ls`, `rm` talk to one of them.
// The sync's remote:SERVICE target uses the same services.
#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ipld/cid.h"
#include "net/http_engine.h"
#include "publish/pinning_client.h"
#include "tools/command.h"
#include "tools/internal/pin_services.h"

namespace ipfsfs::tools {
namespace {

struct Args {
  std::string name, endpoint, key;  // service add
  std::string service;
  std::string pin_name;
  std::string cid;
  std::vector<std::string> cids;
  std::string status;
  bool background = false;
  bool force = false;
};

std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

Result<publish::PinningClient> ClientFor(const std::string& service, net::HttpEngine& engine) {
  IPFSFS_ASSIGN_OR_RETURN(auto services, PinServices::Load());
  IPFSFS_ASSIGN_OR_RETURN(auto s, services.Find(service));
  return publish::PinningClient(s.endpoint, s.key, engine);
}

std::unique_ptr<net::HttpEngine> Engine() {
  auto e = net::HttpEngine::Create();
  return e ? std::move(*e) : nullptr;
}

int ServiceAdd(const Args& a) {
  auto services = PinServices::Load();
  if (!services) return ReportError("pin remote service add", services.error());
  if (auto s = services->Add(a.name, a.endpoint, a.key); !s) return ReportError("pin remote service add", s.error());
  if (auto s = services->Save(); !s) return ReportError("pin remote service add", s.error());
  return 0;
}

int ServiceLs() {
  auto services = PinServices::Load();
  if (!services) return ReportError("pin remote service ls", services.error());
  for (const auto& [name, s] : services->all()) std::cout << name << " " << s.endpoint << "\n";
  return 0;
}

int ServiceRm(const Args& a) {
  auto services = PinServices::Load();
  if (!services) return ReportError("pin remote service rm", services.error());
  if (auto s = services->Remove(a.name); !s) return ReportError("pin remote service rm", s.error());
  if (auto s = services->Save(); !s) return ReportError("pin remote service rm", s.error());
  return 0;
}

int Add(const Args& a) {
  std::string cid = a.cid;
  if (cid.rfind("/ipfs/", 0) == 0) cid = cid.substr(6);
  auto parsed = ipld::Cid::Parse(cid);
  if (!parsed) return ReportError("pin remote add", parsed.error());
  auto engine = Engine();
  if (!engine) return ReportError("pin remote add", Error{ErrorCode::kInternal, "no http engine"});
  auto client = ClientFor(a.service, *engine);
  if (!client) return ReportError("pin remote add", client.error());
  auto pin = client->Add(parsed->ToString(), a.pin_name, {});
  if (!pin) return ReportError("pin remote add", pin.error());
  // As kubo: wait for pinned or failed unless --background, polling with backoff.
  auto delay = std::chrono::milliseconds(500);
  while (!a.background && pin->status != "pinned" && pin->status != "failed") {
    std::this_thread::sleep_for(delay);
    delay = std::min<std::chrono::milliseconds>(delay * 2, std::chrono::seconds(10));
    auto next = client->Get(pin->requestid);
    if (!next) return ReportError("pin remote add", next.error());
    pin = std::move(next);
  }
  std::cout << "CID:\t" << parsed->ToString() << "\nName:\t" << a.pin_name << "\nStatus:\t" << pin->status << "\n";
  if (pin->status == "failed") {
    return ReportError("pin remote add", Error{ErrorCode::kUnavailable, "the service failed to pin " + parsed->ToString()});
  }
  return 0;
}

publish::RemotePinQuery Query(const Args& a) {
  publish::RemotePinQuery q;
  q.cids = a.cids;
  q.name = a.pin_name;
  q.statuses = Split(a.status.empty() ? "pinned" : a.status);
  q.limit = 1000;
  return q;
}

int Ls(const Args& a) {
  auto engine = Engine();
  if (!engine) return ReportError("pin remote ls", Error{ErrorCode::kInternal, "no http engine"});
  auto client = ClientFor(a.service, *engine);
  if (!client) return ReportError("pin remote ls", client.error());
  auto pins = client->List(Query(a));
  if (!pins) return ReportError("pin remote ls", pins.error());
  for (const auto& p : *pins) std::cout << p.cid << "\t" << p.status << "\t" << p.name << "\n";
  return 0;
}

int Rm(const Args& a) {
  if (a.cids.empty() && a.pin_name.empty()) return ReportUsage("pin remote rm: give --cid or --name");
  auto engine = Engine();
  if (!engine) return ReportError("pin remote rm", Error{ErrorCode::kInternal, "no http engine"});
  auto client = ClientFor(a.service, *engine);
  if (!client) return ReportError("pin remote rm", client.error());
  auto pins = client->List(Query(a));
  if (!pins) return ReportError("pin remote rm", pins.error());
  if (pins->size() > 1 && !a.force) {
    return ReportError("pin remote rm", Error{ErrorCode::kInvalidArgument,
                                              std::to_string(pins->size()) + " pins match: pass --force to remove them all"});
  }
  for (const auto& p : *pins) {
    if (auto s = client->Remove(p.requestid); !s) return ReportError("pin remote rm", s.error());
  }
  return 0;
}

void Setup(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<Args>();
  auto* pin = app.add_subcommand("pin", "Pins on remote pinning services (as kubo's ipfs pin remote)");
  pin->require_subcommand(1);
  auto* remote = pin->add_subcommand("remote", "Pin to a remote pinning service (Pinning Service API)");
  remote->require_subcommand(1);

  auto* service = remote->add_subcommand("service", "The remote pinning services (kept 0600 beside config.json)");
  service->require_subcommand(1);
  auto* sadd = service->add_subcommand("add", "Add a service: NAME ENDPOINT KEY");
  sadd->add_option("name", a->name, "The service's name (remote:NAME)")->required();
  sadd->add_option("endpoint", a->endpoint, "Its API endpoint, without /pins")->required();
  sadd->add_option("key", a->key, "Its access token")->required();
  sadd->callback([&exit_code, a] { exit_code = ServiceAdd(*a); });
  auto* sls = service->add_subcommand("ls", "List the services: NAME ENDPOINT");
  sls->callback([&exit_code] { exit_code = ServiceLs(); });
  auto* srm = service->add_subcommand("rm", "Remove a service");
  srm->add_option("name", a->name, "The service's name")->required();
  srm->callback([&exit_code, a] { exit_code = ServiceRm(*a); });

  auto* add = remote->add_subcommand("add", "Ask a service to pin a CID; waits for pinned unless --background");
  add->add_option("cid", a->cid, "The CID (or /ipfs/CID)")->required();
  add->add_option("--service", a->service, "The service's name")->required();
  add->add_option("--name", a->pin_name, "A name for the pin");
  add->add_flag("--background", a->background, "Return once the service queued the request");
  add->callback([&exit_code, a] { exit_code = Add(*a); });

  auto* ls = remote->add_subcommand("ls", "List a service's pins: CID STATUS NAME");
  ls->add_option("--service", a->service, "The service's name")->required();
  ls->add_option("--name", a->pin_name, "Only pins of this name");
  ls->add_option("--cid", a->cids, "Only these CIDs (repeatable)");
  ls->add_option("--status", a->status, "queued,pinning,pinned,failed (default pinned)");
  ls->callback([&exit_code, a] { exit_code = Ls(*a); });

  auto* rm = remote->add_subcommand("rm", "Remove pins from a service");
  rm->add_option("--service", a->service, "The service's name")->required();
  rm->add_option("--name", a->pin_name, "Pins of this name");
  rm->add_option("--cid", a->cids, "Pins of these CIDs (repeatable)");
  rm->add_option("--status", a->status, "queued,pinning,pinned,failed (default pinned)");
  rm->add_flag("--force", a->force, "Remove every match when there are several");
  rm->callback([&exit_code, a] { exit_code = Rm(*a); });
}

}  // namespace

IPFSFS_REGISTER_COMMAND(45, Setup);

}  // namespace ipfsfs::tools
