// CtlService: answers ppe-ctl requests, from one table of commands (ctl_service.cpp), as JSON
// with the spec's field names, and enforces each command's role. The catalogue's commands are in
// ctl_catalogue.cpp.
// The broker's loop runs the commands that write; one more instance, over a reading connection,
// runs the read-only ones and dry-run plans on the read service's thread (read_service.h).
#pragma once

#include <nlohmann/json.hpp>
#include <functional>
#include <string>
#include <vector>

#include "broker/broker_store.h"
#include "broker/catalogue_book.h"
#include "broker/order_book.h"
#include "common/city.h"
#include "common/deployment.h"
#include "common/identity.h"
#include "ppe.pb.h"

namespace ppe {

// A refusal as ppe-ctl reads it: ok false, the code, and a sentence saying why.
wire::Reply ErrorReply(wire::ErrorCode code, std::string text);

// Whether a request's arguments set the boolean `key`; anything but true is not set.
bool Flag(const nlohmann::json& args, const char* key);
// Whether a request's arguments ask for a dry run (a plan shown, nothing stored).
bool DryRun(const nlohmann::json& args);
// A request's string or integer argument; "" or 0 when absent or of another type.
std::string ArgText(const nlohmann::json& args, const char* key);
int64_t ArgNumber(const nlohmann::json& args, const char* key);
wire::Reply Answer(const nlohmann::json& result);
wire::Reply Answer(Result<nlohmann::json> result, wire::ErrorCode code);
// FORBIDDEN, naming the key's role and what it may not do.
wire::Reply NeedCoordinator(const Identity& who, const char* what);

class CtlService {
 public:
  // `catalogue` is the loop's, for the commands that change it; the read service's instance has
  // none (it runs only commands that read).
  CtlService(const City& city, const BrokerConfig& config, BrokerStore& store, OrderBook& orders,
             CatalogueBook* catalogue = nullptr)
      : city_(city), config_(config), store_(store), orders_(orders), catalogue_(catalogue) {}

  // Runs one request; a refusal is a Reply with ok=false and a readable error. Commands that
  // write (allocate, cancel) run in their own transaction, committed before the reply.
  wire::Reply Handle(const Identity& who, const wire::Request& request);

  // Plans a round and commits it, with every site's account (the caller has checked the role).
  // by: who asked. Dry runs are the read service's (read_service.h).
  Result<nlohmann::json> Allocate(const std::string& by);
  // What `status` says of the broker's loop: its longest cycles of the last 10 and 60 s.
  struct LoopFigures {
    int64_t longest_cycle_ms_10s = 0, longest_cycle_ms_60s = 0;
    // Cycles, since the broker started, that applied a demand report or an order event: what the
    // demand rows show moved. A screen re-reads them only then, not on every receipt.
    uint64_t demand_changes = 0;
  };
  void set_loop_figures(const LoopFigures& figures) { loop_figures_ = figures; }
  // Whether `command` only reads: the read service may answer it on its own thread.
  static bool ReadsOnly(const std::string& command, const nlohmann::json& args);

 private:
  // One command of ppe-ctl: its name on the wire, whether it only reads, and what runs it.
  struct Command {
    const char* name;
    bool reads_only;
    wire::Reply (CtlService::*run)(const Identity& who, const nlohmann::json& args);
  };
  static const std::vector<Command>& Commands();
  static const Command* Find(const std::string& name);
  static OrderFilter FilterOf(const nlohmann::json& args);
  wire::Reply RunStatus(const Identity& who, const nlohmann::json& args);
  wire::Reply RunStock(const Identity& who, const nlohmann::json& args);
  wire::Reply RunDemand(const Identity& who, const nlohmann::json& args);
  wire::Reply RunSites(const Identity& who, const nlohmann::json& args);
  wire::Reply RunOrders(const Identity& who, const nlohmann::json& args);
  wire::Reply RunLog(const Identity& who, const nlohmann::json& args);
  wire::Reply RunExplain(const Identity& who, const nlohmann::json& args);
  wire::Reply RunCheck(const Identity& who, const nlohmann::json& args);
  wire::Reply RunTrace(const Identity& who, const nlohmann::json& args);
  wire::Reply RunDonations(const Identity& who, const nlohmann::json& args);
  wire::Reply RunSiteHistory(const Identity& who, const nlohmann::json& args);
  wire::Reply RunCatalogue(const Identity& who, const nlohmann::json& args);
  wire::Reply RunSiteAdd(const Identity& who, const nlohmann::json& args);
  wire::Reply RunSiteSet(const Identity& who, const nlohmann::json& args);
  wire::Reply RunSiteRetire(const Identity& who, const nlohmann::json& args);
  wire::Reply RunPolicySet(const Identity& who, const nlohmann::json& args);
  // Stages `change` as `who`, runs `also` in the same transaction (a retire's cancellations),
  // commits, adopts, and answers with the change and what `also` returned.
  wire::Reply ChangeCatalogue(const Identity& who, wire::CatalogueChange change,
                              const std::function<Result<nlohmann::json>()>& also);
  wire::Reply RunAllocate(const Identity& who, const nlohmann::json& args);
  wire::Reply RunCancel(const Identity& who, const nlohmann::json& args);

  nlohmann::json Sites() const;
  nlohmann::json StockRows();
  nlohmann::json BatchRows();
  nlohmann::json DemandRows();
  nlohmann::json Status();
  nlohmann::json Alerts();
  Result<nlohmann::json> ExplainSite(const std::string& site, const std::string& item);

  const City& city_;
  const BrokerConfig& config_;
  BrokerStore& store_;
  OrderBook& orders_;
  CatalogueBook* catalogue_;
  LoopFigures loop_figures_;
};

}  // namespace ppe
