#include "common/city.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace ppe {
namespace {

// Reads a scalar field; `where` names the entry so an error points at the right line of the file.
template <typename T>
Status ReadField(const YAML::Node& node, const char* key, const std::string& where, T* out,
                 bool required) {
  const YAML::Node value = node[key];
  if (!value) {
    return required ? Status::Error(where + ": missing field '" + key + "'") : Status::Ok();
  }
  try {
    *out = value.as<T>();
  } catch (const YAML::Exception&) {
    return Status::Error(where + ": field '" + key + "' has the wrong type");
  }
  return Status::Ok();
}

Status ReadLocation(const YAML::Node& node, const std::string& where, double* lat, double* lon) {
  const YAML::Node loc = node["location"];
  if (!loc || !loc.IsSequence() || loc.size() != 2) {
    return Status::Error(where + ": 'location' must be [lat, lon]");
  }
  try {
    *lat = loc[0].as<double>();
    *lon = loc[1].as<double>();
  } catch (const YAML::Exception&) {
    return Status::Error(where + ": 'location' must hold two numbers");
  }
  if (*lat < -90 || *lat > 90 || *lon < -180 || *lon > 180) {
    return Status::Error(where + ": 'location' is not a valid latitude/longitude");
  }
  return Status::Ok();
}

Status ParseItems(const YAML::Node& list, std::vector<Item>* items) {
  if (!list || !list.IsSequence()) return Status::Error("'items' must be a list");
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node& n = list[i];
    Item item;
    std::string where = "items[" + std::to_string(i) + "]";
    PPE_RETURN_IF_ERROR(ReadField(n, "id", where, &item.id, true));
    where = "item '" + item.id + "'";
    PPE_RETURN_IF_ERROR(ReadField(n, "name", where, &item.name, false));
    PPE_RETURN_IF_ERROR(ReadField(n, "unit", where, &item.unit, false));
    PPE_RETURN_IF_ERROR(ReadField(n, "lot", where, &item.lot, false));
    PPE_RETURN_IF_ERROR(ReadField(n, "per_head_daily", where, &item.per_head_daily, false));
    PPE_RETURN_IF_ERROR(ReadField(n, "substitutes_for", where, &item.substitutes_for, false));
    items->push_back(std::move(item));
  }
  return Status::Ok();
}

Status ParseTiers(const YAML::Node& map, std::map<int, std::vector<std::string>>* tiers) {
  if (!map || !map.IsMap()) return Status::Error("'tiers' must be a map of tier -> [kinds]");
  for (const auto& entry : map) {
    int tier = 0;
    std::vector<std::string> kinds;
    try {
      tier = entry.first.as<int>();
      kinds = entry.second.as<std::vector<std::string>>();
    } catch (const YAML::Exception&) {
      return Status::Error("'tiers': each entry must be N: [kind, ...]");
    }
    (*tiers)[tier] = std::move(kinds);
  }
  return Status::Ok();
}

Status ParsePolicy(const YAML::Node& n, Policy* policy) {
  if (!n) return Status::Ok();
  PPE_RETURN_IF_ERROR(ReadField(n, "target_days", "policy", &policy->target_days, false));
  PPE_RETURN_IF_ERROR(ReadField(n, "min_order_days", "policy", &policy->min_order_days, false));
  PPE_RETURN_IF_ERROR(ReadField(n, "road_factor", "policy", &policy->road_factor, false));
  PPE_RETURN_IF_ERROR(ReadField(n, "use_ceiling", "policy", &policy->use_ceiling, false));
  PPE_RETURN_IF_ERROR(ReadField(n, "observed_margin", "policy", &policy->observed_margin, false));
  PPE_RETURN_IF_ERROR(ReadField(n, "stale_after_days", "policy", &policy->stale_after_days, false));
  if (const YAML::Node reserve = n["city_reserve"]) {
    PPE_RETURN_IF_ERROR(ReadField(reserve, "warehouse", "policy.city_reserve",
                                  &policy->reserve_warehouse, true));
    PPE_RETURN_IF_ERROR(ReadField(reserve, "release_to_tiers", "policy.city_reserve",
                                  &policy->release_to_tiers, false));
  }
  return Status::Ok();
}

Status ParseCounties(const YAML::Node& list, std::vector<County>* counties) {
  if (!list || !list.IsSequence()) return Status::Error("'counties' must be a list");
  for (size_t i = 0; i < list.size(); ++i) {
    County county;
    std::string where = "counties[" + std::to_string(i) + "]";
    PPE_RETURN_IF_ERROR(ReadField(list[i], "id", where, &county.id, true));
    where = "county '" + county.id + "'";
    PPE_RETURN_IF_ERROR(ReadField(list[i], "name", where, &county.name, false));
    PPE_RETURN_IF_ERROR(ReadLocation(list[i], where, &county.lat, &county.lon));
    counties->push_back(std::move(county));
  }
  return Status::Ok();
}

Status ParseWarehouses(const YAML::Node& list, std::vector<Warehouse>* warehouses) {
  if (!list || !list.IsSequence()) return Status::Error("'warehouses' must be a list");
  for (size_t i = 0; i < list.size(); ++i) {
    Warehouse w;
    std::string where = "warehouses[" + std::to_string(i) + "]";
    PPE_RETURN_IF_ERROR(ReadField(list[i], "id", where, &w.id, true));
    where = "warehouse '" + w.id + "'";
    PPE_RETURN_IF_ERROR(ReadField(list[i], "county", where, &w.county, true));
    PPE_RETURN_IF_ERROR(ReadField(list[i], "name", where, &w.name, false));
    warehouses->push_back(std::move(w));
  }
  return Status::Ok();
}

Status ParseSites(const YAML::Node& list, std::vector<Site>* sites) {
  if (!list || !list.IsSequence()) return Status::Error("'sites' must be a list");
  for (size_t i = 0; i < list.size(); ++i) {
    Site s;
    std::string where = "sites[" + std::to_string(i) + "]";
    PPE_RETURN_IF_ERROR(ReadField(list[i], "id", where, &s.id, true));
    where = "site '" + s.id + "'";
    PPE_RETURN_IF_ERROR(ReadField(list[i], "county", where, &s.county, true));
    PPE_RETURN_IF_ERROR(ReadField(list[i], "name", where, &s.name, false));
    PPE_RETURN_IF_ERROR(ReadField(list[i], "kind", where, &s.kind, true));
    PPE_RETURN_IF_ERROR(ReadField(list[i], "headcount", where, &s.headcount, false));
    PPE_RETURN_IF_ERROR(ReadField(list[i], "tier", where, &s.tier, false));
    sites->push_back(std::move(s));
  }
  return Status::Ok();
}

template <typename T>
Status IndexIds(const std::vector<T>& entries, const char* what,
                std::unordered_map<std::string, size_t>* index) {
  index->clear();
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string& id = entries[i].id;
    if (id.empty()) return Status::Error(std::string(what) + " with an empty id");
    if (!index->emplace(id, i).second) {
      return Status::Error("duplicate " + std::string(what) + " id '" + id + "'");
    }
  }
  return Status::Ok();
}

}  // namespace

double GreatCircleKm(double lat1, double lon1, double lat2, double lon2) {
  constexpr double kEarthRadiusKm = 6371.0;
  constexpr double kRad = M_PI / 180.0;
  const double dlat = (lat2 - lat1) * kRad;
  const double dlon = (lon2 - lon1) * kRad;
  const double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(lat1 * kRad) * std::cos(lat2 * kRad) * std::sin(dlon / 2) *
                       std::sin(dlon / 2);
  return 2 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(a)));
}

Result<City> City::Parse(const std::string& yaml_text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return Status::Error(origin + ": not valid YAML: " + e.what());
  }
  if (!root.IsMap()) return Status::Error(origin + ": a city file must be a YAML map");
  City city;
  Status status = ReadField(root, "city", "city file", &city.name_, true);
  if (status.ok()) status = ParseItems(root["items"], &city.items_);
  if (status.ok()) status = ParseTiers(root["tiers"], &city.tiers_);
  if (status.ok()) status = ParsePolicy(root["policy"], &city.policy_);
  if (status.ok()) status = ParseCounties(root["counties"], &city.counties_);
  if (status.ok()) status = ParseWarehouses(root["warehouses"], &city.warehouses_);
  if (status.ok()) status = ParseSites(root["sites"], &city.sites_);
  if (status.ok() && root["location"]) {
    status = ReadLocation(root, "city file", &city.city_lat_, &city.city_lon_);
    city.has_location_ = status.ok();
  }
  if (status.ok()) status = city.Index();
  if (!status.ok()) return Status::Error(origin + ": " + status.message());
  return city;
}

Result<City> City::Load(const std::string& path) {
  std::string text;
  {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return Status::Error("cannot open city file '" + path + "'");
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
    std::fclose(f);
  }
  return Parse(text, path);
}

Result<City> City::Build(std::string name, std::vector<Item> items,
                         std::map<int, std::vector<std::string>> tiers, Policy policy,
                         std::vector<County> counties, std::vector<Warehouse> warehouses,
                         std::vector<Site> sites) {
  City city;
  city.name_ = std::move(name);
  city.items_ = std::move(items);
  city.tiers_ = std::move(tiers);
  city.policy_ = std::move(policy);
  city.counties_ = std::move(counties);
  city.warehouses_ = std::move(warehouses);
  city.sites_ = std::move(sites);
  Status status = city.Index();
  if (!status.ok()) return status;
  return city;
}

Result<City> City::Changed(std::vector<Site> sites, Policy policy, uint64_t version) const {
  City city = *this;
  for (Site& s : sites) {
    if (!s.tier_override) s.tier = 0;  // follows its kind, which may have changed
  }
  city.sites_ = std::move(sites);
  city.policy_ = std::move(policy);
  city.version_ = version;
  Status status = city.Index();
  if (!status.ok()) return status;
  return city;
}

// Checks every cross-reference and resolves site tiers; the city is unusable if this fails.
Status City::Index() {
  PPE_RETURN_IF_ERROR(IndexIds(items_, "item", &item_index_));
  PPE_RETURN_IF_ERROR(IndexIds(counties_, "county", &county_index_));
  PPE_RETURN_IF_ERROR(IndexIds(warehouses_, "warehouse", &warehouse_index_));
  PPE_RETURN_IF_ERROR(IndexIds(sites_, "site", &site_index_));
  if (county_index_.count(kCityCounty)) {
    return Status::Error(std::string("county id '") + kCityCounty + "' is reserved for the city");
  }
  for (const Item& item : items_) {
    if (item.lot < 1) return Status::Error("item '" + item.id + "': lot must be at least 1");
    for (const std::string& other : item.substitutes_for) {
      if (!item_index_.count(other) || other == item.id) {
        return Status::Error("item '" + item.id + "': substitutes_for names unknown item '" +
                             other + "'");
      }
    }
  }
  std::unordered_map<std::string, int> tier_of_kind;
  for (const auto& [tier, kinds] : tiers_) {
    if (tier < 1) return Status::Error("tiers: tier numbers start at 1");
    for (const std::string& kind : kinds) {
      if (!tier_of_kind.emplace(kind, tier).second) {
        return Status::Error("tiers: kind '" + kind + "' is listed in two tiers");
      }
    }
  }
  for (const Warehouse& w : warehouses_) {
    if (w.county != kCityCounty && !county_index_.count(w.county)) {
      return Status::Error("warehouse '" + w.id + "': unknown county '" + w.county + "'");
    }
  }
  for (Site& s : sites_) {
    if (!county_index_.count(s.county)) {
      return Status::Error("site '" + s.id + "': unknown county '" + s.county + "'");
    }
    if (s.headcount < 0) return Status::Error("site '" + s.id + "': negative headcount");
    s.tier_override = s.tier != 0;
    if (s.tier == 0) {
      auto it = tier_of_kind.find(s.kind);
      if (it == tier_of_kind.end()) {
        return Status::Error("site '" + s.id + "': kind '" + s.kind +
                             "' is in no tier and the site gives no tier");
      }
      s.tier = it->second;
    }
    if (s.tier < 1) return Status::Error("site '" + s.id + "': tier must be at least 1");
  }
  if (!policy_.reserve_warehouse.empty() && !warehouse_index_.count(policy_.reserve_warehouse)) {
    return Status::Error("policy.city_reserve: unknown warehouse '" + policy_.reserve_warehouse +
                         "'");
  }
  if (policy_.target_days <= 0) return Status::Error("policy.target_days must be positive");
  if (policy_.min_order_days < 0) return Status::Error("policy.min_order_days must not be negative");
  if (policy_.road_factor < 1) return Status::Error("policy.road_factor must be at least 1");
  // Below 1 the ceiling would cut a site that uses exactly its headcount's share.
  if (!(policy_.use_ceiling >= 1)) return Status::Error("policy.use_ceiling must be at least 1 (default 3)");
  if (!(policy_.observed_margin == 0 || policy_.observed_margin >= 1)) {
    return Status::Error("policy.observed_margin must be 0 (off) or at least 1 (default 2)");
  }
  if (!(policy_.stale_after_days > 0)) return Status::Error("policy.stale_after_days must be positive (default 3)");
  if (!has_location_ && !counties_.empty()) {
    // Summed in id order, so the same counties in any file order give the same bits.
    std::vector<const County*> by_id;
    for (const County& c : counties_) by_id.push_back(&c);
    std::sort(by_id.begin(), by_id.end(), [](const County* a, const County* b) { return a->id < b->id; });
    city_lat_ = city_lon_ = 0;
    for (const County* c : by_id) {
      city_lat_ += c->lat;
      city_lon_ += c->lon;
    }
    city_lat_ /= counties_.size();
    city_lon_ /= counties_.size();
  }
  return Status::Ok();
}

const Item* City::FindItem(const std::string& id) const {
  auto it = item_index_.find(id);
  return it == item_index_.end() ? nullptr : &items_[it->second];
}
const County* City::FindCounty(const std::string& id) const {
  auto it = county_index_.find(id);
  return it == county_index_.end() ? nullptr : &counties_[it->second];
}
const Warehouse* City::FindWarehouse(const std::string& id) const {
  auto it = warehouse_index_.find(id);
  return it == warehouse_index_.end() ? nullptr : &warehouses_[it->second];
}
const Site* City::FindSite(const std::string& id) const {
  auto it = site_index_.find(id);
  return it == site_index_.end() ? nullptr : &sites_[it->second];
}

double City::DistanceKm(const std::string& county_a, const std::string& county_b) const {
  if (county_a == county_b) return 0;
  auto location = [this](const std::string& id, double* lat, double* lon) {
    if (id == kCityCounty) {
      *lat = city_lat_;
      *lon = city_lon_;
    } else if (const County* c = FindCounty(id)) {
      *lat = c->lat;
      *lon = c->lon;
    }
  };
  double lat_a = 0, lon_a = 0, lat_b = 0, lon_b = 0;
  location(county_a, &lat_a, &lon_a);
  location(county_b, &lat_b, &lon_b);
  return GreatCircleKm(lat_a, lon_a, lat_b, lon_b) * policy_.road_factor;
}

}  // namespace ppe
