// The catalogue's commands of CtlService: `catalogue` (the live catalogue, its version and its
// ledger) and the changes a coordinator makes while everything runs: site add|set|retire and
// policy set. Each change is checked, written to the ledger and committed before it is adopted.
#include <nlohmann/json.hpp>

#include "broker/ctl_service.h"
#include "common/catalogue_change.h"
#include "common/city_writer.h"
#include "common/clock.h"
#include "common/text_encoding.h"

namespace ppe {
namespace {

constexpr size_t kMaxIdBytes = 64;
constexpr size_t kMaxNameChars = 200;
constexpr size_t kHistoryRows = 200;

// An id names a site in files, commands and logs: printable, no spaces, short.
Status CheckId(const std::string& id) {
  if (id.empty()) return Status::Error("a site id is needed");
  if (id.size() > kMaxIdBytes) return Status::Error("site id '" + id + "' is longer than 64 bytes");
  for (unsigned char c : id) {
    if (c <= ' ' || c == 0x7f) return Status::Error("site id '" + id + "' has a space or control character");
  }
  return Status::Ok();
}

Status CheckName(const std::string& name) {
  if (name.empty()) return Status::Error("a site needs a name (--name)");
  if (Utf8Length(name) > kMaxNameChars) return Status::Error("a site name is at most 200 characters");
  if (HasControlCharacter(name)) return Status::Error("a site name has a control character");
  return Status::Ok();
}

// --headcount and --tier, when given, must be whole numbers in range.
Status ReadWhole(const nlohmann::json& args, const char* key, int64_t min, int64_t max, int64_t* out) {
  if (!args.contains(key)) return Status::Ok();
  if (!args[key].is_number_integer() || args[key].get<int64_t>() < min || args[key].get<int64_t>() > max) {
    return Status::Error(std::string("--") + key + " must be a whole number from " + std::to_string(min) +
                         " to " + std::to_string(max));
  }
  *out = args[key].get<int64_t>();
  return Status::Ok();
}

nlohmann::json ChangeJson(const wire::CatalogueChange& change) {
  nlohmann::json out = {{"version", change.version()},
                        {"kind", CatalogueChangeName(change.kind())},
                        {"change", DescribeCatalogueChange(change)},
                        {"by", change.by()},
                        {"at", FormatTime(change.at_ms())}};
  if (change.kind() == wire::POLICY_SET) {
    out["key"] = change.key();
    out["value"] = change.value();
  } else {
    out["site"] = change.site().id();
  }
  return out;
}

}  // namespace

wire::Reply CtlService::RunCatalogue(const Identity&, const nlohmann::json& args) {
  if (Flag(args, "changes")) {
    return Answer(CatalogueHistory(store_.db(), kHistoryRows), wire::INTERNAL);
  }
  if (Flag(args, "yaml_only")) {
    // A client that keeps the catalogue (ppe-web) parses the city file, not a JSON tree of
    // 10,000 sites besides it.
    return Answer({{"city", city_.name()}, {"version", city_.version()}, {"yaml", CityYaml(city_)}});
  }
  nlohmann::json items = nlohmann::json::array(), counties = nlohmann::json::array(),
                 warehouses = nlohmann::json::array(), tiers = nlohmann::json::object();
  for (const Item& i : city_.items()) {
    items.push_back({{"id", i.id}, {"name", i.name}, {"unit", i.unit}, {"lot", i.lot},
                     {"substitutes_for", i.substitutes_for}, {"per_head_daily", i.per_head_daily}});
  }
  for (const auto& [tier, kinds] : city_.tiers()) tiers[std::to_string(tier)] = kinds;
  for (const County& c : city_.counties()) {
    counties.push_back({{"id", c.id}, {"name", c.name}, {"location", {c.lat, c.lon}}});
  }
  for (const Warehouse& w : city_.warehouses()) {
    warehouses.push_back({{"id", w.id}, {"county", w.county}, {"name", w.name}});
  }
  const Policy& p = city_.policy();
  const nlohmann::json policy = {{"target_days", p.target_days},         {"min_order_days", p.min_order_days},
                                 {"road_factor", p.road_factor},         {"use_ceiling", p.use_ceiling},
                                 {"observed_margin", p.observed_margin}, {"stale_after_days", p.stale_after_days},
                                 {"reserve_warehouse", p.reserve_warehouse}, {"release_to_tiers", p.release_to_tiers}};
  return Answer({{"city", city_.name()}, {"version", city_.version()}, {"items", items},
                 {"tiers", tiers},       {"policy", policy},             {"counties", counties},
                 {"warehouses", warehouses}, {"sites", Sites()},         {"yaml", CityYaml(city_)}});
}

wire::Reply CtlService::RunSiteAdd(const Identity& who, const nlohmann::json& args) {
  if (who.role != Role::kCoordinator) return NeedCoordinator(who, "change the catalogue");
  Site site;
  site.id = ArgText(args, "id");
  site.county = ArgText(args, "county");
  site.kind = ArgText(args, "kind");
  site.name = ArgText(args, "name");
  int64_t tier = 0;
  ::ppe::Status s = CheckId(site.id);
  if (s.ok()) s = CheckName(site.name);
  if (s.ok() && !args.contains("headcount")) s = ::ppe::Status::Error("a site needs its headcount (--headcount)");
  if (s.ok()) s = ReadWhole(args, "headcount", 0, 100'000'000, &site.headcount);
  if (s.ok()) s = ReadWhole(args, "tier", 1, 99, &tier);
  if (s.ok() && site.kind.empty()) s = ::ppe::Status::Error("a site needs its kind (--kind)");
  if (s.ok() && !city_.FindCounty(site.county)) {
    s = ::ppe::Status::Error("unknown county '" + site.county + "' (ppe-ctl catalogue lists them)");
  }
  if (s.ok() && city_.FindSite(site.id)) {
    s = ::ppe::Status::Error("site " + site.id + " exists already; 'ppe-ctl site set' changes it");
  }
  if (!s.ok()) return ErrorReply(wire::MALFORMED, s.message());
  site.tier = static_cast<int>(tier);
  site.tier_override = tier != 0;
  wire::CatalogueChange change;
  change.set_kind(wire::SITE_ADD);
  *change.mutable_site() = SiteToWire(site);
  return ChangeCatalogue(who, std::move(change), nullptr);
}

wire::Reply CtlService::RunSiteSet(const Identity& who, const nlohmann::json& args) {
  if (who.role != Role::kCoordinator) return NeedCoordinator(who, "change the catalogue");
  const std::string id = ArgText(args, "id");
  const Site* found = city_.FindSite(id);
  if (!found) return ErrorReply(wire::UNKNOWN_SITE, "unknown site '" + id + "' ('ppe-ctl site add' adds one)");
  Site site = *found;
  int64_t tier = 0;
  ::ppe::Status s = ReadWhole(args, "headcount", 0, 100'000'000, &site.headcount);
  if (s.ok()) s = ReadWhole(args, "tier", 1, 99, &tier);
  if (s.ok() && args.contains("name")) {
    site.name = ArgText(args, "name");
    s = CheckName(site.name);
  }
  if (s.ok() && args.contains("kind")) {
    site.kind = ArgText(args, "kind");
    if (site.kind.empty()) s = ::ppe::Status::Error("--kind needs a kind");
  }
  if (s.ok() && !args.contains("headcount") && !args.contains("tier") && !args.contains("name") && !args.contains("kind")) {
    s = ::ppe::Status::Error("nothing to change: give --headcount, --kind, --tier or --name");
  }
  if (!s.ok()) return ErrorReply(wire::MALFORMED, s.message());
  if (tier != 0) {
    site.tier = static_cast<int>(tier);
    site.tier_override = true;
  }
  wire::CatalogueChange change;
  change.set_kind(wire::SITE_SET);
  *change.mutable_site() = SiteToWire(site);
  return ChangeCatalogue(who, std::move(change), nullptr);
}

wire::Reply CtlService::RunSiteRetire(const Identity& who, const nlohmann::json& args) {
  if (who.role != Role::kCoordinator) return NeedCoordinator(who, "change the catalogue");
  const std::string id = ArgText(args, "id");
  const std::string reason = ArgText(args, "reason");
  if (!city_.FindSite(id)) return ErrorReply(wire::UNKNOWN_SITE, "unknown site '" + id + "'");
  if (reason.empty()) return ErrorReply(wire::MALFORMED, "say why the site is retired (--reason)");
  if (!CheckName(reason).ok()) {
    return ErrorReply(wire::MALFORMED, "the reason must be one line of at most 200 characters");
  }
  wire::CatalogueChange retire;
  retire.set_kind(wire::SITE_RETIRE);
  retire.mutable_site()->set_id(id);
  retire.set_reason(reason);
  // Its open orders go in the same transaction: their stock returns to the pool with the change.
  return ChangeCatalogue(who, retire, [&]() -> Result<nlohmann::json> {
    std::vector<std::string> shipped;
    auto cancelled = orders_.CancelOutside(catalogue_->staged(), " was retired: " + reason, who, NowMs(), &shipped);
    if (!cancelled.ok()) return cancelled.status();
    return nlohmann::json{{"cancelled_orders", *cancelled}, {"shipped_orders_still_open", shipped}};
  });
}

wire::Reply CtlService::RunPolicySet(const Identity& who, const nlohmann::json& args) {
  if (who.role != Role::kCoordinator) return NeedCoordinator(who, "change the policy");
  const std::string key = ArgText(args, "key");
  std::string value = ArgText(args, "value");
  Policy probe = city_.policy();
  if (::ppe::Status s = SetPolicyValue(&probe, key, value); !s.ok()) return ErrorReply(wire::MALFORMED, s.message());
  value = *PolicyValue(probe, key);  // as the ledger and the nodes will show it: "7", not "7.000"
  if (value == *PolicyValue(city_.policy(), key)) {
    return ErrorReply(wire::MALFORMED, "policy " + key + " is " + value + " already; nothing changed");
  }
  wire::CatalogueChange change;
  change.set_kind(wire::POLICY_SET);
  change.set_key(key);
  change.set_value(value);
  return ChangeCatalogue(who, std::move(change), nullptr);
}

wire::Reply CtlService::ChangeCatalogue(const Identity& who, wire::CatalogueChange change,
                                        const std::function<Result<nlohmann::json>()>& also) {
  if (!catalogue_) return ErrorReply(wire::INTERNAL, "the catalogue is changed only by the broker's loop");
  if (::ppe::Status s = store_.Begin(); !s.ok()) return ErrorReply(wire::INTERNAL, s.message());
  auto staged = catalogue_->Stage(std::move(change), who.name, NowMs());
  nlohmann::json answer;
  ::ppe::Status s = staged.status();
  if (s.ok() && also) {
    auto more = also();
    if (more.ok()) answer = std::move(*more);
    s = more.status();
  }
  if (s.ok()) s = store_.Commit();
  if (!s.ok()) {
    store_.Rollback();
    orders_.DiscardEvents();
    catalogue_->Discard();
    return ErrorReply(staged.ok() ? wire::INTERNAL : wire::MALFORMED, s.message());
  }
  catalogue_->Adopt();
  if (!answer.is_object()) answer = nlohmann::json::object();
  answer.update(ChangeJson(*staged));
  return Answer(answer);
}

}  // namespace ppe
