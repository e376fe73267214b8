#include "broker/ctl_service.h"

#include <spdlog/spdlog.h>

#include <map>
#include <set>

#include "broker/alerts.h"
#include "broker/batch_book.h"
#include "broker/city_snapshot.h"
#include "broker/donation_trace.h"
#include "broker/site_account.h"
#include "broker/site_history.h"
#include "broker/ledger_check.h"
#include "common/city_writer.h"
#include "common/clock.h"

namespace ppe {
namespace {

nlohmann::json DaysOfCover(double units, double daily_use) {
  if (daily_use <= 0) return nullptr;  // no use: cover is unbounded
  return std::round(units / daily_use * 100) / 100;
}

}  // namespace

// Hostile arguments ("dry_run": "yes") are simply not set: never a thrown type error.
bool Flag(const nlohmann::json& args, const char* key) {
  return args.is_object() && args.contains(key) && args[key].is_boolean() && args[key].get<bool>();
}

bool DryRun(const nlohmann::json& args) { return Flag(args, "dry_run"); }

wire::Reply ErrorReply(wire::ErrorCode code, std::string text) {
  wire::Reply reply;
  reply.set_ok(false);
  reply.set_code(code);
  reply.set_error(std::move(text));
  return reply;
}

nlohmann::json CtlService::Sites() const {
  nlohmann::json rows = nlohmann::json::array();
  for (const Site& s : city_.sites()) {
    rows.push_back({{"id", s.id}, {"county", s.county}, {"name", s.name}, {"kind", s.kind},
                    {"tier", s.tier}, {"headcount", s.headcount}});
  }
  return rows;
}

nlohmann::json CtlService::StockRows() {
  nlohmann::json rows = nlohmann::json::array();
  for (const StockRow& r : store_.Stock()) {
    const Warehouse* w = city_.FindWarehouse(r.warehouse);
    rows.push_back({{"warehouse", r.warehouse},
                    {"county", w ? w->county : ""},
                    {"item", r.item},
                    {"on_hand", r.on_hand},
                    {"reserved", r.reserved},
                    {"available", r.on_hand - r.reserved}});
  }
  return rows;
}

// One row per batch that still holds stock or was ever received: where it is and what is left.
nlohmann::json CtlService::BatchRows() {
  nlohmann::json rows = nlohmann::json::array();
  const std::string today = Today(NowMs());
  Statement& q = store_.db().Prepare(
      "SELECT id, warehouse, item, origin, source, donor, reference, lot, expires, received, on_hand, reserved, "
      "received_ms FROM batches ORDER BY warehouse, item, id");
  const auto text_or_null = [](const std::string& t) { return t.empty() ? nlohmann::json(nullptr) : nlohmann::json(t); };
  while (q.Step()) {
    const Warehouse* w = city_.FindWarehouse(q.Text(1));
    const std::string expires = q.Text(8);
    rows.push_back({{"batch", q.Int(0)}, {"warehouse", q.Text(1)}, {"county", w ? w->county : ""},
                    {"item", q.Text(2)}, {"origin", q.Text(3)}, {"source", text_or_null(q.Text(4))},
                    {"donor", text_or_null(q.Text(5))}, {"reference", text_or_null(q.Text(6))},
                    {"lot", text_or_null(q.Text(7))}, {"expires", text_or_null(expires)},
                    {"expired", !expires.empty() && expires < today}, {"received", q.Int(9)},
                    {"left", q.Int(10)}, {"reserved", q.Int(11)}, {"available", q.Int(10) - q.Int(11)},
                    {"date", FormatTime(q.Int(12))}});
  }
  return rows;
}

nlohmann::json CtlService::DemandRows() {
  const int64_t now = NowMs();
  nlohmann::json rows = nlohmann::json::array();
  for (const TrustedDemandRow& t : TrustAll(city_, store_.Demand(), now)) {
    const DemandRow& r = t.row;
    const Site* s = city_.FindSite(r.site);
    if (!s) continue;  // a retired site's last figures: no longer the city's demand
    const auto figure = [](const std::optional<double>& v) {
      return v ? nlohmann::json(std::round(*v * 100) / 100) : nlohmann::json(nullptr);
    };
    rows.push_back({{"site", r.site},
                    {"county", s->county},
                    {"item", r.item},
                    {"tier", s->tier},
                    {"on_hand", r.on_hand},
                    {"daily_use", r.daily_use},
                    {"reported_daily_use", r.daily_use},
                    {"ceiling", figure(t.trust.ceiling)},
                    {"observed_daily_use", figure(t.trust.observed)},
                    {"used_daily_use", std::round(t.trust.used * 100) / 100},
                    {"capped", t.trust.capped()},
                    {"capped_by", t.trust.capped() ? nlohmann::json(CapByName(t.trust.set_by)) : nlohmann::json(nullptr)},
                    {"stale", t.trust.stale},
                    {"inconsistent", t.trust.inconsistent},
                    {"observed", ObservedUseName(r.observed.state)},
                    {"in_transit", r.in_transit},
                    {"days_of_cover", DaysOfCover(r.on_hand + r.in_transit, t.trust.used)},
                    {"as_of", FormatTime(r.as_of_ms)},
                    {"as_of_ms", r.as_of_ms}});
  }
  return rows;
}

// One row per county (and the city's own node): contact, backlog, stock, demand, cover, alerts.
nlohmann::json CtlService::Status() {
  const int64_t now = NowMs();
  struct ItemFigures {
    int64_t stock = 0, site_on_hand = 0, in_transit = 0;
    double daily_use = 0, lowest_cover = -1;
  };
  std::map<std::string, std::map<std::string, ItemFigures>> figures;
  for (const StockRow& r : store_.Stock()) {
    if (const Warehouse* w = city_.FindWarehouse(r.warehouse)) figures[w->county][r.item].stock += r.on_hand;
  }
  const std::vector<TrustedDemandRow> demand = TrustAll(city_, store_.Demand(), now);
  for (const TrustedDemandRow& t : demand) {
    const DemandRow& r = t.row;
    const Site* s = city_.FindSite(r.site);
    if (!s) continue;
    ItemFigures& f = figures[s->county][r.item];
    f.site_on_hand += r.on_hand;
    f.in_transit += r.in_transit;
    f.daily_use += t.trust.used;
    if (t.trust.used > 0) {
      const double cover = (r.on_hand + r.in_transit) / t.trust.used;
      if (f.lowest_cover < 0 || cover < f.lowest_cover) f.lowest_cover = cover;
    }
  }
  std::map<std::string, const NodeProgress*> node_of_county;
  for (const auto& [name, p] : store_.progress()) node_of_county[p.county] = &p;

  std::vector<std::pair<std::string, std::string>> places;  // county id, name
  for (const County& c : city_.counties()) places.emplace_back(c.id, c.name);
  places.emplace_back(kCityCounty, city_.name() + " city reserve");

  std::map<std::string, nlohmann::json> alerts_of;
  nlohmann::json all_alerts = nlohmann::json::array();
  for (const Alert& a : CityAlerts(city_, config_, store_, now, demand)) {
    alerts_of[a.county].push_back(a.text);
    all_alerts.push_back({{"county", a.county}, {"kind", AlertKindName(a.kind)}, {"text", a.text}, {"facts", a.facts}});
  }
  nlohmann::json counties = nlohmann::json::array();
  for (const auto& [id, name] : places) {
    const NodeProgress* p = node_of_county.count(id) ? node_of_county[id] : nullptr;
    const bool silent = !p || now - p->last_contact_ms > config_.silent_after_s * 1000;
    nlohmann::json items = nlohmann::json::object();
    for (const Item& item : city_.items()) {
      const ItemFigures f = figures[id][item.id];
      items[item.id] = {{"stock", f.stock},
                        {"site_on_hand", f.site_on_hand},
                        {"in_transit", f.in_transit},
                        {"daily_use", f.daily_use},
                        {"days_of_cover", DaysOfCover(f.site_on_hand + f.in_transit, f.daily_use)},
                        {"lowest_site_cover",
                         f.lowest_cover < 0 ? nlohmann::json(nullptr)
                                            : nlohmann::json(std::round(f.lowest_cover * 100) / 100)}};
    }
    const int64_t behind =
        p && p->recorded_head > p->last_seq ? static_cast<int64_t>(p->recorded_head - p->last_seq) : 0;
    counties.push_back({{"county", id},
                        {"name", name},
                        {"last_contact", p ? FormatTime(p->last_contact_ms) : "-"},
                        {"last_contact_ms", p ? p->last_contact_ms : 0},
                        {"connected", !silent},
                        {"reports_applied", p ? p->last_seq : 0},
                        {"reports_behind", behind},
                        {"refused", p ? p->refused : 0},
                        {"items", items},
                        {"alerts", alerts_of.count(id) ? alerts_of[id] : nlohmann::json::array()}});
  }
  const nlohmann::json loop = {{"longest_cycle_ms_10s", loop_figures_.longest_cycle_ms_10s},
                               {"longest_cycle_ms_60s", loop_figures_.longest_cycle_ms_60s}};
  return {{"city", city_.name()},
          {"catalogue_version", city_.version()},
          {"demand_changes", loop_figures_.demand_changes},
          {"at", FormatTime(now)},
          {"events", store_.EventCount()},
          {"loop", loop},
          {"counties", counties},
          {"alerts", all_alerts}};
}

Result<nlohmann::json> CtlService::Allocate(const std::string& by) {
  auto snapshot = TakeSnapshot(city_, store_.db(), NowMs());
  if (!snapshot.ok()) return snapshot.status();
  const AllocationPlan plan = ppe::Allocate(city_, snapshot->stock, snapshot->demand);
  PPE_RETURN_IF_ERROR(store_.Begin());
  auto committed = orders_.CommitRound(plan, by, NowMs());
  ::ppe::Status s = committed.ok() ? SaveAccounts(store_.db(), *committed, AccountForSites(city_, *snapshot, plan))
                                   : committed.status();
  if (s.ok()) s = store_.Commit();
  if (!s.ok()) {
    store_.Rollback();
    orders_.DiscardEvents();
    return s;
  }
  OrderFilter filter;
  filter.round = *committed;
  nlohmann::json coverage = nlohmann::json::array();
  for (const SiteCoverage& c : plan.coverage) {
    coverage.push_back({{"site", c.site}, {"item", c.item}, {"tier", c.tier},
                        {"days_before", std::round(c.days_before * 100) / 100},
                        {"days_after", std::round(c.days_after * 100) / 100}});
  }
  return nlohmann::json{{"round", *committed}, {"dry_run", false}, {"orders", orders_.Orders(filter)},
                        {"coverage", coverage}};
}

// explain --site for the last committed round (a dry run is the read service's plan).
Result<nlohmann::json> CtlService::ExplainSite(const std::string& site_id, const std::string& item) {
  const Site* site = city_.FindSite(site_id);
  if (!site) return ::ppe::Status::Error("unknown site '" + site_id + "'");
  if (!item.empty() && !city_.FindItem(item)) return ::ppe::Status::Error("unknown item '" + item + "'");
  int64_t round = 0;
  const std::vector<SiteAccount> accounts = LoadAccounts(store_.db(), site_id, item, &round);
  nlohmann::json orders = nlohmann::json::array();
  if (round > 0) {
    OrderFilter filter;
    filter.round = round;
    filter.site = site_id;
    orders = orders_.Orders(filter);
  }
  nlohmann::json answer = ::ppe::ExplainSite(city_, *site, item, accounts, orders, round, false);
  if (round == 0) answer["note"] = "no round has been committed yet; --dry-run explains a plan made now";
  return answer;
}

wire::Reply Answer(const nlohmann::json& result) {
  wire::Reply reply;
  reply.set_ok(true);
  reply.set_json(result.dump());
  return reply;
}

wire::Reply Answer(Result<nlohmann::json> result, wire::ErrorCode code) {
  return result.ok() ? Answer(*result) : ErrorReply(code, result.status().message());
}

std::string ArgText(const nlohmann::json& args, const char* key) {
  return args.contains(key) && args[key].is_string() ? args[key].get<std::string>() : std::string();
}

int64_t ArgNumber(const nlohmann::json& args, const char* key) {
  return args.contains(key) && args[key].is_number_integer() ? args[key].get<int64_t>() : int64_t{0};
}

wire::Reply NeedCoordinator(const Identity& who, const char* what) {
  return ErrorReply(wire::FORBIDDEN, std::string("a ") + RoleName(who.role) + " key cannot " + what);
}

// The one table of ppe-ctl's commands: the name on the wire, whether it only reads (the read
// service may answer it on its own thread), and what runs it. docs/protocol.md lists them.
const std::vector<CtlService::Command>& CtlService::Commands() {
  static const std::vector<Command> kCommands = {
      {"status", true, &CtlService::RunStatus},
      {"stock", true, &CtlService::RunStock},
      {"demand", true, &CtlService::RunDemand},
      {"sites", true, &CtlService::RunSites},
      {"orders", true, &CtlService::RunOrders},
      {"log", true, &CtlService::RunLog},
      {"explain", true, &CtlService::RunExplain},
      {"check", true, &CtlService::RunCheck},
      {"trace", true, &CtlService::RunTrace},
      {"donations", true, &CtlService::RunDonations},
      {"site_history", true, &CtlService::RunSiteHistory},
      {"catalogue", true, &CtlService::RunCatalogue},  // this and the next four: ctl_catalogue.cpp
      {"site_add", false, &CtlService::RunSiteAdd},
      {"site_set", false, &CtlService::RunSiteSet},
      {"site_retire", false, &CtlService::RunSiteRetire},
      {"policy_set", false, &CtlService::RunPolicySet},
      {"allocate", false, &CtlService::RunAllocate},  // its dry run only reads: see ReadsOnly
      {"cancel", false, &CtlService::RunCancel},
  };
  return kCommands;
}

const CtlService::Command* CtlService::Find(const std::string& name) {
  for (const Command& c : Commands()) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

bool CtlService::ReadsOnly(const std::string& command, const nlohmann::json& args) {
  if (command == "allocate") return DryRun(args);
  const Command* c = Find(command);
  return c && c->reads_only;
}

wire::Reply CtlService::Handle(const Identity& who, const wire::Request& request) {
  if (who.role == Role::kNode) {
    return ErrorReply(wire::FORBIDDEN, "a node key cannot use ppe-ctl commands");
  }
  nlohmann::json args;
  try {
    args = request.args_json().empty() ? nlohmann::json::object() : nlohmann::json::parse(request.args_json());
  } catch (const nlohmann::json::exception&) {
    return ErrorReply(wire::MALFORMED, "request arguments are not valid JSON");
  }
  if (!args.is_object()) return ErrorReply(wire::MALFORMED, "request arguments must be a JSON object");
  const Command* command = Find(request.command());
  if (!command) return ErrorReply(wire::UNKNOWN_COMMAND, "unknown command '" + request.command() + "'");
  return (this->*command->run)(who, args);
}

OrderFilter CtlService::FilterOf(const nlohmann::json& args) {
  OrderFilter filter;
  filter.county = ArgText(args, "county");
  filter.site = ArgText(args, "site");
  filter.item = ArgText(args, "item");
  filter.status = ArgText(args, "status");
  filter.since_ms = ArgNumber(args, "since_ms");
  filter.until_ms = ArgNumber(args, "until_ms");
  return filter;
}

wire::Reply CtlService::RunStatus(const Identity&, const nlohmann::json&) { return Answer(Status()); }
wire::Reply CtlService::RunDemand(const Identity&, const nlohmann::json&) { return Answer(DemandRows()); }
wire::Reply CtlService::RunSites(const Identity&, const nlohmann::json&) { return Answer(Sites()); }
wire::Reply CtlService::RunCheck(const Identity&, const nlohmann::json&) { return Answer(CheckLedger(store_.db())); }
wire::Reply CtlService::RunOrders(const Identity&, const nlohmann::json& args) {
  return Answer(orders_.Orders(FilterOf(args)));
}
wire::Reply CtlService::RunLog(const Identity&, const nlohmann::json& args) { return Answer(orders_.Log(FilterOf(args))); }
wire::Reply CtlService::RunDonations(const Identity&, const nlohmann::json&) {
  return Answer(DonationsReport(store_.db(), city_, NowMs()));
}

wire::Reply CtlService::RunStock(const Identity&, const nlohmann::json& args) {
  return Answer(Flag(args, "batches") ? BatchRows() : StockRows());
}

wire::Reply CtlService::RunExplain(const Identity&, const nlohmann::json& args) {
  if (args.contains("site")) {
    const std::string site = ArgText(args, "site");
    return Answer(ExplainSite(site, ArgText(args, "item")), city_.FindSite(site) ? wire::UNKNOWN_ITEM : wire::UNKNOWN_SITE);
  }
  const int64_t order = ArgNumber(args, "order");
  nlohmann::json result = orders_.Explain(order);
  if (result.is_null()) return ErrorReply(wire::UNKNOWN_ORDER, "unknown order " + std::to_string(order));
  return Answer(result);
}

wire::Reply CtlService::RunTrace(const Identity&, const nlohmann::json& args) {
  const std::string donor = ArgText(args, "donor"), batch = ArgText(args, "batch"), reference = ArgText(args, "reference");
  if (!donor.empty() + !batch.empty() + !reference.empty() != 1) {
    return ErrorReply(wire::MALFORMED, "trace takes one of --donor NAME, --batch ID or --reference REF");
  }
  const TraceBy by = !donor.empty() ? TraceBy::kDonor : !batch.empty() ? TraceBy::kBatch : TraceBy::kReference;
  return Answer(::ppe::Trace(store_.db(), city_, by, !donor.empty() ? donor : !batch.empty() ? batch : reference));
}

wire::Reply CtlService::RunSiteHistory(const Identity&, const nlohmann::json& args) {
  const std::string site = ArgText(args, "site");
  return Answer(SiteHistory(store_.db(), city_, site, ArgText(args, "item"), NowMs()),
                city_.FindSite(site) ? wire::UNKNOWN_ITEM : wire::UNKNOWN_SITE);
}

// The catalogue the broker runs with: its parts as JSON, and `yaml`, a city file `init` accepts.
wire::Reply CtlService::RunAllocate(const Identity& who, const nlohmann::json& args) {
  if (DryRun(args)) {  // the broker hands these to the read service
    return ErrorReply(wire::INTERNAL, "a dry run reached the committing path; nothing was planned");
  }
  if (who.role != Role::kCoordinator) {
    return NeedCoordinator(who, "run an allocation round (--dry-run previews it)");
  }
  return Answer(Allocate(who.name), wire::INTERNAL);
}

wire::Reply CtlService::RunCancel(const Identity& who, const nlohmann::json& args) {
  if (who.role != Role::kCoordinator) return NeedCoordinator(who, "cancel orders");
  const int64_t order = ArgNumber(args, "order");
  if (::ppe::Status s = store_.Begin(); !s.ok()) return ErrorReply(wire::INTERNAL, s.message());
  const Refusal refusal = orders_.Cancel(who, order, ArgText(args, "reason"), NowMs());
  ::ppe::Status s = refusal.refused() ? ::ppe::Status::Error(refusal.text) : store_.Commit();
  if (!s.ok()) {
    store_.Rollback();
    orders_.DiscardEvents();
    return ErrorReply(refusal.refused() ? refusal.code : wire::INTERNAL, s.message());
  }
  return Answer(orders_.Explain(order));
}

}  // namespace ppe
