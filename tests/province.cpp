#include "tests/province.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <utility>

namespace ppe {
namespace {

// Distributions written out so that a seed means the same province with any standard library.
class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  double Uniform(double low, double high) {
    return low + (high - low) * static_cast<double>(engine_() >> 11) * 0x1.0p-53;
  }
  int Below(int n) { return static_cast<int>(engine_() % static_cast<uint64_t>(n)); }
  bool Chance(double p) { return Uniform(0, 1) < p; }

 private:
  std::mt19937_64 engine_;
};

struct KindSpec {
  const char* kind;
  int tier;
  int64_t min_headcount, max_headcount;
};

constexpr KindSpec kKinds[] = {
    {"hospital", 1, 200, 2000},    {"fever_clinic", 1, 20, 120},  {"airport", 2, 50, 400},
    {"rail_station", 2, 40, 300},  {"bus_station", 2, 10, 80},    {"toll_station", 2, 5, 40},
    {"producer", 3, 50, 600},      {"utility", 3, 20, 300},       {"logistics", 3, 20, 200},
    {"community", 4, 5, 60},       {"enterprise", 4, 20, 500},
};

// Share of sites per tier: 5 %, 10 %, 25 %, 60 %, or even.
int DrawTier(Random& random, bool even) {
  if (even) return 1 + random.Below(4);
  const double u = random.Uniform(0, 1);
  return u < 0.05 ? 1 : u < 0.15 ? 2 : u < 0.40 ? 3 : 4;
}

const KindSpec& DrawKind(Random& random, int tier) {
  std::vector<const KindSpec*> options;
  for (const KindSpec& spec : kKinds) {
    if (spec.tier == tier) options.push_back(&spec);
  }
  return *options[random.Below(static_cast<int>(options.size()))];
}

std::vector<Item> Items(bool substitutes) {
  std::vector<Item> items = {
      {"disinfectant", "Disinfectant", "litre", 10, {}, 0.05},
      {"gloves", "Examination gloves", "pair", 100, {}, 4},
      {"mask.n95", "N95/KN95 respirator", "piece", 20, {"mask.surgical"}, 0.5},
      {"mask.surgical", "Surgical mask", "piece", 50, {}, 2},
      {"sanitizer", "Hand sanitizer", "bottle", 24, {}, 0.1},
  };
  if (!substitutes) {
    for (Item& item : items) item.substitutes_for.clear();
  }
  return items;
}

std::map<int, std::vector<std::string>> Tiers() {
  std::map<int, std::vector<std::string>> tiers;
  for (const KindSpec& spec : kKinds) tiers[spec.tier].push_back(spec.kind);
  return tiers;
}

// Four decimals of a degree (about 11 m): short in the city file, and it reads back exactly.
double Round4(double degrees) { return std::round(degrees * 1e4) / 1e4; }

City BuildCity(const ProvinceOptions& options, Random& random) {
  std::vector<County> counties;
  for (int c = 0; c < options.counties; ++c) {
    counties.push_back({"county-" + std::to_string(c), "County " + std::to_string(c),
                        Round4(random.Uniform(24.5, 28.5)), Round4(random.Uniform(115.5, 119.5))});
  }
  std::vector<Warehouse> warehouses;
  for (int w = 0; w < options.warehouses; ++w) {
    // Every county gets one before any gets a second.
    const int county = w < options.counties ? w : random.Below(options.counties);
    warehouses.push_back({"wh-" + std::to_string(w), counties[county].id,
                          "Warehouse " + std::to_string(w)});
  }
  Policy policy{options.target_days, options.min_order_days, 1.3, "", {}};
  if (options.reserve) {
    warehouses.push_back({"city-reserve", kCityCounty, "City reserve"});
    policy.reserve_warehouse = "city-reserve";
    policy.release_to_tiers = {1};
  }
  std::vector<Site> sites;
  for (int s = 0; s < options.sites; ++s) {
    const KindSpec& spec = DrawKind(random, DrawTier(random, options.even_tiers));
    const int64_t headcount =
        spec.min_headcount + random.Below(static_cast<int>(spec.max_headcount - spec.min_headcount));
    const int override_tier = random.Chance(0.02) ? 1 + random.Below(4) : 0;
    sites.push_back({"site-" + std::to_string(s), counties[random.Below(options.counties)].id,
                     "Site " + std::to_string(s), spec.kind, headcount, override_tier});
  }
  Result<City> city = City::Build("province", Items(options.substitutes), Tiers(), policy, std::move(counties),
                                  std::move(warehouses), std::move(sites));
  return std::move(city.value());  // the generator builds only valid cities
}

std::vector<SiteDemand> DrawDemand(const City& city, const ProvinceOptions& options,
                                   Random& random) {
  std::vector<SiteDemand> demand;
  for (const Site& site : city.sites()) {
    for (const Item& item : city.items()) {
      if (!random.Chance(site.tier == 1 ? 0.95 : 0.75)) continue;
      const double daily_use = std::round(site.headcount * item.per_head_daily * options.use_scale *
                                          random.Uniform(0.6, 1.4) * 10) / 10;
      const int64_t on_hand = std::llround(daily_use * random.Uniform(0, 6));
      const int64_t in_transit = random.Chance(0.2) ? std::llround(daily_use * random.Uniform(0, 2)) : 0;
      demand.push_back({site.id, item.id, on_hand, daily_use, in_transit});
    }
  }
  return demand;
}

// Spreads supply_ratio of each item's total need over the warehouses (the reserve holds ~15 %),
// leaving some warehouses without the item.
std::vector<WarehouseStock> DrawStock(const City& city, const ProvinceOptions& options,
                                      const std::vector<SiteDemand>& demand, Random& random) {
  std::vector<WarehouseStock> stock;
  for (const Item& item : city.items()) {
    double need = 0;
    for (const SiteDemand& d : demand) {
      if (d.item == item.id) {
        need += std::max(0.0, d.daily_use * options.target_days - d.on_hand - d.in_transit);
      }
    }
    std::vector<double> weights;
    for (const Warehouse& w : city.warehouses()) {
      const bool reserve = w.id == city.policy().reserve_warehouse;
      weights.push_back(random.Chance(0.25) ? 0
                        : reserve           ? 0.15 * city.warehouses().size()
                                            : random.Uniform(0.2, 1.8));
    }
    double total_weight = 0;
    for (double w : weights) total_weight += w;
    for (size_t w = 0; w < weights.size(); ++w) {
      if (weights[w] == 0) continue;
      const int64_t units = std::llround(need * options.supply_ratio * weights[w] / total_weight);
      // A ragged remainder below one lot, as real counts have.
      stock.push_back({city.warehouses()[w].id, item.id, units + random.Below(static_cast<int>(item.lot))});
    }
  }
  return stock;
}

void WriteList(std::ostream& out, const std::vector<std::string>& values) {
  out << '[';
  for (size_t i = 0; i < values.size(); ++i) out << (i ? ", " : "") << values[i];
  out << ']';
}

}  // namespace

ProvinceOptions SmallProvinceOptions(uint64_t seed) {
  Random random(seed ^ 0x9e3779b97f4a7c15ULL);
  ProvinceOptions options;
  options.seed = seed;
  options.counties = 1 + random.Below(4);
  options.warehouses = 1 + random.Below(5);
  options.sites = 2 + random.Below(12);
  options.reserve = random.Chance(0.6);
  options.supply_ratio = random.Uniform(0.1, 1.3);
  options.min_order_days = random.Below(4) * 0.5;
  options.use_scale = random.Uniform(0.01, 0.3);
  options.even_tiers = true;
  return options;
}

Province GenerateProvince(const ProvinceOptions& options) {
  Random random(options.seed);
  City city = BuildCity(options, random);
  std::vector<SiteDemand> demand = DrawDemand(city, options, random);
  std::vector<WarehouseStock> stock = DrawStock(city, options, demand, random);
  return {std::move(city), std::move(stock), std::move(demand)};
}

void WriteCityYaml(const City& city, std::ostream& out) {
  const Policy& policy = city.policy();
  out.precision(10);
  out << "city: " << city.name() << "\nitems:\n";
  for (const Item& item : city.items()) {
    out << "  - {id: " << item.id << ", name: \"" << item.name << "\", unit: " << item.unit
        << ", lot: " << item.lot << ", per_head_daily: " << item.per_head_daily
        << ", substitutes_for: ";
    WriteList(out, item.substitutes_for);
    out << "}\n";
  }
  out << "tiers:\n";
  for (const auto& [tier, kinds] : city.tiers()) {
    out << "  " << tier << ": ";
    WriteList(out, kinds);
    out << '\n';
  }
  out << "policy:\n  target_days: " << policy.target_days
      << "\n  min_order_days: " << policy.min_order_days
      << "\n  road_factor: " << policy.road_factor << "\n  use_ceiling: " << policy.use_ceiling
      << "\n  observed_margin: " << policy.observed_margin
      << "\n  stale_after_days: " << policy.stale_after_days << '\n';
  if (!policy.reserve_warehouse.empty()) {
    std::vector<std::string> tiers;
    for (int tier : policy.release_to_tiers) tiers.push_back(std::to_string(tier));
    out << "  city_reserve: {warehouse: " << policy.reserve_warehouse << ", release_to_tiers: ";
    WriteList(out, tiers);
    out << "}\n";
  }
  out << "counties:\n";
  for (const County& c : city.counties()) {
    out << "  - {id: " << c.id << ", name: \"" << c.name << "\", location: [" << c.lat << ", "
        << c.lon << "]}\n";
  }
  out << "warehouses:\n";
  for (const Warehouse& w : city.warehouses()) {
    out << "  - {id: " << w.id << ", county: " << w.county << ", name: \"" << w.name << "\"}\n";
  }
  out << "sites:\n";
  for (const Site& s : city.sites()) {
    out << "  - {id: " << s.id << ", county: " << s.county << ", name: \"" << s.name
        << "\", kind: " << s.kind << ", headcount: " << s.headcount << ", tier: " << s.tier
        << "}\n";
  }
}

void WriteImportCsv(const Province& province, const std::string& county, std::ostream& out) {
  const City& city = province.city;
  out << "type,place,item,quantity,daily_use,source,from\n";
  for (const WarehouseStock& s : province.stock) {
    if (city.FindWarehouse(s.warehouse)->county == county) {
      out << "stock," << s.warehouse << ',' << s.item << ',' << s.available << ",,,\n";
    }
  }
  for (const SiteDemand& d : province.demand) {
    if (city.FindSite(d.site)->county == county) {
      out << "demand," << d.site << ',' << d.item << ',' << d.on_hand << ',' << d.daily_use
          << ",,\n";
    }
  }
}

}  // namespace ppe
