#include "broker/sourcing.h"

#include <cassert>
#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>
#include <limits>

namespace ppe {

using Graph = lemon::SmartDigraph;
using Simplex = lemon::NetworkSimplex<Graph, int64_t, int64_t>;

struct TransportNetwork::Impl {
  Graph graph;
  std::vector<Graph::Node> sources, sinks;
  struct Route {
    size_t source, sink;
    Graph::Arc arc;
  };
  std::vector<Route> routes;  // by (sink, source)
  size_t reserve_source = 0;
  Graph::ArcMap<int64_t> cost{graph}, upper{graph};
  Graph::NodeMap<int64_t> supply{graph};
  std::unique_ptr<Simplex> simplex;
};

TransportNetwork::TransportNetwork(size_t sources, size_t sinks, size_t reserve_source,
                                   const MetresFn& metres)
    : impl_(std::make_unique<Impl>()) {
  Impl& n = *impl_;
  n.reserve_source = reserve_source;
  for (size_t s = 0; s < sources; ++s) n.sources.push_back(n.graph.addNode());
  for (size_t d = 0; d < sinks; ++d) n.sinks.push_back(n.graph.addNode());
  for (size_t d = 0; d < sinks; ++d) {
    for (size_t s = 0; s < sources; ++s) {
      const Graph::Arc arc = n.graph.addArc(n.sources[s], n.sinks[d]);
      n.cost[arc] = metres(s, d);
      n.routes.push_back({s, d, arc});
    }
  }
  n.simplex = std::make_unique<Simplex>(n.graph);
  n.simplex->supplyType(Simplex::LEQ).costMap(n.cost);
}

TransportNetwork::~TransportNetwork() = default;

std::vector<Shipment> TransportNetwork::Solve(const std::vector<int64_t>& source_lots,
                                              const std::vector<SinkDemand>& sinks) {
  Impl& n = *impl_;
  for (size_t s = 0; s < n.sources.size(); ++s) n.supply[n.sources[s]] = source_lots[s];
  for (size_t d = 0; d < n.sinks.size(); ++d) n.supply[n.sinks[d]] = -sinks[d].lots;
  // LEQ: a source ships at most its lots, a sink receives at least (so exactly) its lots. Only
  // the reserve's arcs are capped, by what the sink's eligible sites may take from it.
  for (const Impl::Route& route : n.routes) {
    n.upper[route.arc] = route.source == n.reserve_source
                             ? sinks[route.sink].reserve_eligible_lots
                             : std::numeric_limits<int64_t>::max();
  }
  [[maybe_unused]] const Simplex::ProblemType outcome =
      n.simplex->supplyMap(n.supply).upperMap(n.upper).run();
  assert(outcome == Simplex::OPTIMAL);  // feasibility is the caller's guarantee

  std::vector<Shipment> shipments;
  for (const Impl::Route& route : n.routes) {
    if (const int64_t lots = n.simplex->flow(route.arc); lots > 0) {
      shipments.push_back({route.source, route.sink, lots});
    }
  }
  return shipments;
}

}  // namespace ppe
