#include "broker/sourcing.h"

#include <cassert>
#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>

namespace ppe {

std::vector<Shipment> SolveTransport(const std::vector<SupplyPoint>& supplies,
                                     const std::vector<DemandPoint>& demands,
                                     const MetresFn& metres) {
  using Graph = lemon::SmartDigraph;
  Graph graph;
  Graph::NodeMap<int64_t> supply_of(graph);
  std::vector<Graph::Node> supply_nodes, demand_nodes;
  for (const SupplyPoint& s : supplies) {
    supply_nodes.push_back(graph.addNode());
    supply_of[supply_nodes.back()] = s.lots;
  }
  for (const DemandPoint& d : demands) {
    demand_nodes.push_back(graph.addNode());
    supply_of[demand_nodes.back()] = -d.lots;
  }
  struct Route {
    size_t supply, demand;
    Graph::Arc arc;
  };
  std::vector<Route> routes;
  Graph::ArcMap<int64_t> cost(graph);
  for (size_t d = 0; d < demands.size(); ++d) {
    if (demands[d].lots == 0) continue;
    for (size_t s = 0; s < supplies.size(); ++s) {
      if (supplies[s].lots == 0 || (supplies[s].reserve && !demands[d].reserve_eligible)) continue;
      const Graph::Arc arc = graph.addArc(supply_nodes[s], demand_nodes[d]);
      cost[arc] = metres(s, d);
      routes.push_back({s, d, arc});
    }
  }
  // LEQ: a warehouse ships at most its stock, a demand point receives at least (so exactly) its
  // lots. Uncapacitated arcs: the supply values bound every flow.
  lemon::NetworkSimplex<Graph, int64_t, int64_t> simplex(graph);
  simplex.supplyType(decltype(simplex)::LEQ).supplyMap(supply_of).costMap(cost);
  [[maybe_unused]] const auto outcome = simplex.run();
  assert(outcome == decltype(simplex)::OPTIMAL);  // feasibility is the caller's guarantee

  std::vector<Shipment> shipments;
  for (const Route& route : routes) {
    if (const int64_t lots = simplex.flow(route.arc); lots > 0) {
      shipments.push_back({route.supply, route.demand, lots});
    }
  }
  return shipments;  // routes were added by (demand, supply), so already in that order
}

}  // namespace ppe
