// Province generator: a seeded, deterministic city with a stock and demand snapshot under scarcity.
// Province scale for benchmarks and load tests; small scales give random instances for the tests.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "broker/allocator.h"
#include "common/city.h"

namespace ppe {

struct ProvinceOptions {
  uint64_t seed = 1;
  int counties = 100;
  int warehouses = 199;  // county warehouses, besides the city reserve
  int sites = 10000;
  bool reserve = true;               // keep a city reserve released to tier 1
  bool substitutes = true;           // N95 may fill surgical-mask demand
  bool even_tiers = false;           // sites spread evenly over tiers instead of 5/10/25/60 %
  double supply_ratio = 0.6;         // whole-lot supply over total need, per item
  double target_days = 7;
  double min_order_days = 1;
  double use_scale = 1;              // multiplies daily use: small values make lots coarse
};

struct Province {
  City city;
  std::vector<WarehouseStock> stock;
  std::vector<SiteDemand> demand;
};

// Five items (N95 substitutes for surgical masks), four tiers of kinds, counties in a
// 4°×4° box, sites spread 5/10/25/60 % over tiers 1–4. The same options give the same province.
Province GenerateProvince(const ProvinceOptions& options);

// A small random instance (a few counties, warehouses and sites, coarse lots, random scarcity,
// minimum order and reserve) for property and oracle tests.
ProvinceOptions SmallProvinceOptions(uint64_t seed);

// The city in the city-file format of the spec (City::Parse reads it back).
void WriteCityYaml(const City& city, std::ostream& out);

// The snapshot rows of one county (its warehouses' stock, its sites' demand) as an import CSV.
void WriteImportCsv(const Province& province, const std::string& county, std::ostream& out);

}  // namespace ppe
