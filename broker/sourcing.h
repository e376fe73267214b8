// Sourcing: the transportation problem from supply places to demand places, in whole lots.
// Solved exactly (LEMON NetworkSimplex, integer metres); the reserve serves only eligible lots.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace ppe {

struct SinkDemand {
  int64_t lots = 0;
  int64_t reserve_eligible_lots = 0;  // of those, how many the reserve may supply
};

struct Shipment {
  size_t source = 0;
  size_t sink = 0;
  int64_t lots = 0;
};

// Cost in metres of moving one lot from a source to a sink.
using MetresFn = std::function<int64_t(size_t source, size_t sink)>;

// One network of sources (e.g. the warehouses of a county) and sinks (the sites of a county),
// built once and solved for each item, so its memory is allocated once per round.
class TransportNetwork {
 public:
  // reserve_source: the index of the reserve among the sources, or any value >= sources.
  TransportNetwork(size_t sources, size_t sinks, size_t reserve_source, const MetresFn& metres);
  ~TransportNetwork();

  // Meets every sink's demand at least total cost (lots × metres). The caller guarantees
  // feasibility: supply covers demand, and non-reserve supply covers the non-eligible demand.
  // Shipments come sorted by (sink, source); the same input gives the same shipments.
  std::vector<Shipment> Solve(const std::vector<int64_t>& source_lots,
                              const std::vector<SinkDemand>& sinks);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ppe
