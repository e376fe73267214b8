// City: the model of one catalogue (items, tiers, policy, counties, warehouses, sites), as a city
// file gave it or at a later version of the live catalogue; always validated as a whole; every
// lookup by id is O(1) and never invents an entity. A value: a change makes a new City.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace ppe {

struct Item {
  std::string id;
  std::string name;
  std::string unit;
  int64_t lot = 1;                           // orders are whole multiples of this
  std::vector<std::string> substitutes_for;  // item ids whose demand this item may fill
  double per_head_daily = 0;                 // used when a demand report gives no daily use
};

struct County {
  std::string id;
  std::string name;
  double lat = 0;
  double lon = 0;
};

// The county id of the city's own warehouses (the reserve) and of the city's own node.
inline constexpr const char* kCityCounty = "city";

struct Warehouse {
  std::string id;
  std::string county;  // a county id, or kCityCounty
  std::string name;
};

struct Site {
  std::string id;
  std::string county;
  std::string name;
  std::string kind;
  int64_t headcount = 0;
  int tier = 0;  // resolved: the override if given, else the tier of its kind
  bool tier_override = false;  // the tier was given for this site, not taken from its kind
};

struct Policy {
  double target_days = 7;
  double min_order_days = 1;
  double road_factor = 1.3;
  std::string reserve_warehouse;     // empty when the city keeps no reserve
  std::vector<int> release_to_tiers;  // tiers the reserve may serve
  // Trusted demand (docs/allocation.md): a site's daily use is at most use_ceiling × headcount ×
  // the item's per_head_daily, and at most observed_margin × what two counts show it used (0:
  // off); a demand older than stale_after_days is flagged stale.
  double use_ceiling = 3;
  double observed_margin = 2;
  double stale_after_days = 3;
};

class City {
 public:
  // Reads and validates a city YAML file; the error names the file, entry and field at fault.
  static Result<City> Load(const std::string& path);
  // Same, from YAML text (tests build cities this way).
  static Result<City> Parse(const std::string& yaml_text, const std::string& origin = "<text>");

  const std::string& name() const { return name_; }
  const std::vector<Item>& items() const { return items_; }
  const std::vector<County>& counties() const { return counties_; }
  const std::vector<Warehouse>& warehouses() const { return warehouses_; }
  const std::vector<Site>& sites() const { return sites_; }
  const Policy& policy() const { return policy_; }
  const std::map<int, std::vector<std::string>>& tiers() const { return tiers_; }

  // nullptr when the id is unknown.
  const Item* FindItem(const std::string& id) const;
  const County* FindCounty(const std::string& id) const;
  const Warehouse* FindWarehouse(const std::string& id) const;
  const Site* FindSite(const std::string& id) const;

  // Road distance in km between two counties (kCityCounty allowed): great-circle distance
  // of their locations times the policy's road factor; 0 within one county.
  double DistanceKm(const std::string& county_a, const std::string& county_b) const;
  // Location of the city itself (the reserve): the file's `location`, else the counties' centroid.
  double city_lat() const { return city_lat_; }
  double city_lon() const { return city_lon_; }
  bool has_location() const { return has_location_; }  // the file gave the city's own location

  // The live catalogue's version this city is at: 0 as a city file gave it, then one more for
  // each change (common/catalogue_change.h).
  uint64_t version() const { return version_; }
  // A copy with other sites and policy at `version`, validated like a file; a site's tier
  // resolves from its kind unless tier_override is set.
  Result<City> Changed(std::vector<Site> sites, Policy policy, uint64_t version) const;

  // Builds a city from parts already in memory (generators, tests); validates like Parse.
  static Result<City> Build(std::string name, std::vector<Item> items,
                            std::map<int, std::vector<std::string>> tiers, Policy policy,
                            std::vector<County> counties, std::vector<Warehouse> warehouses,
                            std::vector<Site> sites);

 private:
  Status Index();

  std::string name_;
  std::vector<Item> items_;
  std::map<int, std::vector<std::string>> tiers_;
  Policy policy_;
  std::vector<County> counties_;
  std::vector<Warehouse> warehouses_;
  std::vector<Site> sites_;
  double city_lat_ = 0;
  double city_lon_ = 0;
  bool has_location_ = false;
  uint64_t version_ = 0;
  std::unordered_map<std::string, size_t> item_index_, county_index_, warehouse_index_, site_index_;
};

// Great-circle distance in km (haversine, mean Earth radius).
double GreatCircleKm(double lat1, double lon1, double lat2, double lon2);

}  // namespace ppe
