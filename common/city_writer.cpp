#include "common/city_writer.h"

#include <yaml-cpp/yaml.h>


namespace ppe {

namespace {

void Location(YAML::Emitter& out, double lat, double lon) {
  out << YAML::Key << "location" << YAML::Value << YAML::Flow << YAML::BeginSeq << lat << lon << YAML::EndSeq;
}

}  // namespace

std::string CityYaml(const City& city) {
  YAML::Emitter out;
  out.SetDoublePrecision(10);
  out << YAML::BeginMap;
  out << YAML::Key << "city" << YAML::Value << city.name();
  if (city.has_location()) Location(out, city.city_lat(), city.city_lon());

  out << YAML::Key << "items" << YAML::Value << YAML::BeginSeq;
  for (const Item& item : city.items()) {
    out << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "id" << YAML::Value << item.id << YAML::Key << "name" << YAML::Value << item.name;
    out << YAML::Key << "unit" << YAML::Value << item.unit << YAML::Key << "lot" << YAML::Value << item.lot;
    out << YAML::Key << "substitutes_for" << YAML::Value << YAML::Flow << item.substitutes_for;
    if (item.per_head_daily > 0) out << YAML::Key << "per_head_daily" << YAML::Value << item.per_head_daily;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;

  out << YAML::Key << "tiers" << YAML::Value << YAML::BeginMap;
  for (const auto& [tier, kinds] : city.tiers()) out << YAML::Key << tier << YAML::Value << YAML::Flow << kinds;
  out << YAML::EndMap;

  const Policy& p = city.policy();
  out << YAML::Key << "policy" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "target_days" << YAML::Value << p.target_days;
  out << YAML::Key << "min_order_days" << YAML::Value << p.min_order_days;
  out << YAML::Key << "road_factor" << YAML::Value << p.road_factor;
  out << YAML::Key << "use_ceiling" << YAML::Value << p.use_ceiling;
  out << YAML::Key << "observed_margin" << YAML::Value << p.observed_margin;
  out << YAML::Key << "stale_after_days" << YAML::Value << p.stale_after_days;
  if (!p.reserve_warehouse.empty()) {
    out << YAML::Key << "city_reserve" << YAML::Value << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "warehouse" << YAML::Value << p.reserve_warehouse;
    out << YAML::Key << "release_to_tiers" << YAML::Value << YAML::Flow << p.release_to_tiers;
    out << YAML::EndMap;
  }
  out << YAML::EndMap;

  out << YAML::Key << "counties" << YAML::Value << YAML::BeginSeq;
  for (const County& c : city.counties()) {
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "id" << YAML::Value << c.id;
    out << YAML::Key << "name" << YAML::Value << c.name;
    Location(out, c.lat, c.lon);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;

  out << YAML::Key << "warehouses" << YAML::Value << YAML::BeginSeq;
  for (const Warehouse& w : city.warehouses()) {
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "id" << YAML::Value << w.id;
    out << YAML::Key << "county" << YAML::Value << w.county << YAML::Key << "name" << YAML::Value << w.name;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;

  out << YAML::Key << "sites" << YAML::Value << YAML::BeginSeq;
  for (const Site& s : city.sites()) {
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "id" << YAML::Value << s.id;
    out << YAML::Key << "county" << YAML::Value << s.county << YAML::Key << "name" << YAML::Value << s.name;
    out << YAML::Key << "kind" << YAML::Value << s.kind << YAML::Key << "headcount" << YAML::Value << s.headcount;
    // The tier only when it overrides its kind's, as the file said it.
    if (s.tier_override) out << YAML::Key << "tier" << YAML::Value << s.tier;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace ppe
