// Sourcing: the transportation problem from warehouses to demand points, in whole lots.
// Solved exactly (LEMON NetworkSimplex, integer metres); the reserve serves only eligible points.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace ppe {

struct SupplyPoint {
  int64_t lots = 0;      // whole lots the warehouse can ship
  bool reserve = false;  // the city reserve: only reserve-eligible demand may draw on it
};

struct DemandPoint {
  int64_t lots = 0;
  bool reserve_eligible = false;
};

struct Shipment {
  size_t supply = 0;  // index into the supplies
  size_t demand = 0;  // index into the demands
  int64_t lots = 0;
};

// Cost in metres of moving one lot from a supply point to a demand point.
using MetresFn = std::function<int64_t(size_t supply, size_t demand)>;

// Meets every demand at least total cost (lots × metres). The caller guarantees feasibility:
// total supply covers total demand, and non-reserve supply covers the non-eligible demand.
// Shipments come sorted by (demand, supply); the same input gives the same shipments.
std::vector<Shipment> SolveTransport(const std::vector<SupplyPoint>& supplies,
                                     const std::vector<DemandPoint>& demands,
                                     const MetresFn& metres);

}  // namespace ppe
