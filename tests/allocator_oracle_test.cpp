// LP oracle (GLPK) for the allocator on random small instances:
// (a) max-min days of cover per tier, lexicographic by tier (LP relaxation), within one lot;
// (b) least total transport distance for the plan's per-site quantities, equal up to metre rounding.
#include <glpk.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker/allocator.h"
#include "tests/province.h"

namespace ppe {
namespace {

constexpr int kInstances = 240;
constexpr double kInf = std::numeric_limits<double>::infinity();

// A linear program kept as plain data and handed to GLPK whole for each solve.
class Lp {
 public:
  int AddColumn(double low, double high, double objective = 0) {
    columns_.push_back({low, high, objective});
    return static_cast<int>(columns_.size());  // GLPK counts from 1
  }
  void SetObjective(int column, double objective) { columns_[column - 1].objective = objective; }
  void AddRow(std::vector<std::pair<int, double>> terms, double low, double high) {
    rows_.push_back({std::move(terms), low, high});
  }
  std::optional<double> Solve(int direction) const {
    glp_prob* lp = glp_create_prob();
    glp_set_obj_dir(lp, direction);
    glp_add_cols(lp, static_cast<int>(columns_.size()));
    for (size_t j = 0; j < columns_.size(); ++j) {
      SetBounds(lp, glp_set_col_bnds, static_cast<int>(j + 1), columns_[j].low, columns_[j].high);
      glp_set_obj_coef(lp, static_cast<int>(j + 1), columns_[j].objective);
    }
    std::vector<int> ia{0}, ja{0};
    std::vector<double> ar{0};
    if (!rows_.empty()) glp_add_rows(lp, static_cast<int>(rows_.size()));
    for (size_t i = 0; i < rows_.size(); ++i) {
      SetBounds(lp, glp_set_row_bnds, static_cast<int>(i + 1), rows_[i].low, rows_[i].high);
      for (const auto& [column, coefficient] : rows_[i].terms) {
        ia.push_back(static_cast<int>(i + 1));
        ja.push_back(column);
        ar.push_back(coefficient);
      }
    }
    glp_load_matrix(lp, static_cast<int>(ia.size() - 1), ia.data(), ja.data(), ar.data());
    glp_smcp parameters;
    glp_init_smcp(&parameters);
    parameters.msg_lev = GLP_MSG_OFF;
    std::optional<double> objective;
    if (glp_simplex(lp, &parameters) == 0 && glp_get_status(lp) == GLP_OPT) {
      objective = glp_get_obj_val(lp);
    }
    glp_delete_prob(lp);
    return objective;
  }

 private:
  template <typename Setter>
  static void SetBounds(glp_prob* lp, Setter set, int index, double low, double high) {
    const int type = low == -kInf ? (high == kInf ? GLP_FR : GLP_UP)
                     : high == kInf ? GLP_LO
                     : low == high  ? GLP_FX
                                    : GLP_DB;
    set(lp, index, type, low == -kInf ? 0 : low, high == kInf ? 0 : high);
  }
  struct Column {
    double low, high, objective;
  };
  struct Row {
    std::vector<std::pair<int, double>> terms;
    double low, high;
  };
  std::vector<Column> columns_;
  std::vector<Row> rows_;
};

struct SiteStake {
  std::string site;
  int tier;
  bool released;
  double base, daily_use, cap_units, planned_units;
};

std::vector<SiteStake> Stakes(const Province& p, const Item& item, const AllocationPlan& plan) {
  std::map<std::string, double> planned;
  for (const PlannedOrder& o : plan.orders) {
    if (o.item == item.id) planned[o.to_site] += o.qty;
  }
  const Policy& policy = p.city.policy();
  std::vector<SiteStake> stakes;
  for (const SiteDemand& d : p.demand) {
    if (d.item != item.id || d.daily_use <= 0) continue;
    const int tier = p.city.FindSite(d.site)->tier;
    const double base = d.on_hand + d.in_transit;
    const double need = d.daily_use * policy.target_days - base;
    const double cap_lots = need <= 1e-9 ? 0 : std::ceil(need / item.lot - 1e-9);
    stakes.push_back({d.site, tier,
                      std::count(policy.release_to_tiers.begin(), policy.release_to_tiers.end(),
                                 tier) > 0,
                      base, d.daily_use, cap_lots * item.lot, planned[d.site]});
  }
  return stakes;
}

// (a) Per tier in order: the LP's best minimum cover given the tiers above, against the plan's.
// A tier that reaches target then takes all it can up to its lot-rounded need, as whole lots
// make it take; the tiers below get the rest.
bool CoverAgrees(const Province& p, const Item& item, const AllocationPlan& plan) {
  const Policy& policy = p.city.policy();
  double general = 0, reserve = 0;
  for (const WarehouseStock& s : p.stock) {
    if (s.item != item.id) continue;
    (s.warehouse == policy.reserve_warehouse ? reserve : general) +=
        std::floor(static_cast<double>(s.available) / item.lot) * item.lot;
  }
  const std::vector<SiteStake> stakes = Stakes(p, item, plan);
  Lp lp;
  std::vector<std::pair<int, double>> general_terms, reserve_terms;
  std::vector<std::pair<int, int>> columns;  // (general, reserve) per stake
  for (const SiteStake& s : stakes) {
    const int g = lp.AddColumn(0, kInf), r = lp.AddColumn(0, s.released ? kInf : 0);
    columns.push_back({g, r});
    general_terms.push_back({g, 1});
    reserve_terms.push_back({r, 1});
    lp.AddRow({{g, 1}, {r, 1}}, -kInf, s.cap_units);
  }
  lp.AddRow(general_terms, -kInf, general);
  lp.AddRow(reserve_terms, -kInf, reserve);

  std::set<int> tiers;
  for (const SiteStake& s : stakes) tiers.insert(s.tier);
  for (int tier : tiers) {
    Lp stage = lp;
    const int z = stage.AddColumn(-kInf, policy.target_days, 1);
    double plan_min = kInf, one_lot_days = 0;
    for (size_t i = 0; i < stakes.size(); ++i) {
      const SiteStake& s = stakes[i];
      if (s.tier != tier || s.cap_units == 0) continue;
      stage.AddRow({{columns[i].first, 1}, {columns[i].second, 1}, {z, -s.daily_use}}, -s.base, kInf);
      plan_min = std::min(plan_min, std::min((s.base + s.planned_units) / s.daily_use,
                                             policy.target_days));
      one_lot_days = std::max(one_lot_days, item.lot / s.daily_use);
    }
    if (plan_min == kInf) continue;  // every site of the tier is at target already
    const std::optional<double> best = stage.Solve(GLP_MAX);
    if (!best || std::abs(*best - plan_min) > one_lot_days + 1e-6) {
      ADD_FAILURE() << item.id << " tier " << tier << ": LP min cover " << best.value_or(-1)
                    << ", plan " << plan_min << ", one lot " << one_lot_days << " days";
      return false;
    }
    std::vector<std::pair<int, double>> tier_terms;
    for (size_t i = 0; i < stakes.size(); ++i) {
      const SiteStake& s = stakes[i];
      if (s.tier != tier || s.cap_units == 0) continue;
      lp.AddRow({{columns[i].first, 1}, {columns[i].second, 1}},
                std::max(0.0, *best * s.daily_use - s.base - 1e-7), kInf);
      tier_terms.push_back({columns[i].first, 1});
      tier_terms.push_back({columns[i].second, 1});
    }
    if (*best >= policy.target_days - 1e-9) {
      Lp fill = lp;
      for (const auto& [column, one] : tier_terms) fill.SetObjective(column, one);
      const std::optional<double> taken = fill.Solve(GLP_MAX);
      if (!taken) return false;
      lp.AddRow(tier_terms, *taken - 1e-6, kInf);
    }
  }
  return true;
}

// (b) The least lot-kilometres that deliver the plan's per-site quantities from the stock.
bool DistanceAgrees(const Province& p, const Item& item, const AllocationPlan& plan) {
  const City& city = p.city;
  std::map<std::string, double> units_available;
  for (const WarehouseStock& s : p.stock) {
    if (s.item == item.id) units_available[s.warehouse] += static_cast<double>(s.available);
  }
  std::map<std::string, double> site_lots;
  std::map<std::string, int> site_tier;
  double plan_km = 0, total_lots = 0;
  for (const PlannedOrder& o : plan.orders) {
    if (o.item != item.id) continue;
    site_lots[o.to_site] += static_cast<double>(o.qty / item.lot);
    site_tier[o.to_site] = o.tier;
    plan_km += o.distance_km * static_cast<double>(o.qty / item.lot);
    total_lots += static_cast<double>(o.qty / item.lot);
  }
  if (site_lots.empty()) return true;
  const Policy& policy = city.policy();
  Lp lp;
  std::map<std::string, std::vector<std::pair<int, double>>> into_site;
  for (const auto& [warehouse, units] : units_available) {
    std::vector<std::pair<int, double>> out_of_warehouse;
    const bool reserve = warehouse == policy.reserve_warehouse;
    for (const auto& [site, lots] : site_lots) {
      const bool released = std::count(policy.release_to_tiers.begin(),
                                       policy.release_to_tiers.end(), site_tier[site]) > 0;
      if (reserve && !released) continue;
      const double km =
          city.DistanceKm(city.FindWarehouse(warehouse)->county, city.FindSite(site)->county);
      const int f = lp.AddColumn(0, kInf, km);
      out_of_warehouse.push_back({f, 1});
      into_site[site].push_back({f, 1});
    }
    lp.AddRow(out_of_warehouse, -kInf, std::floor(units / item.lot));
  }
  for (const auto& [site, lots] : site_lots) lp.AddRow(into_site[site], lots, lots);
  const std::optional<double> best = lp.Solve(GLP_MIN);
  // The allocator solves in whole metres: each lot may be off by half a metre.
  if (!best || std::abs(*best - plan_km) > 0.0005 * total_lots + 1e-6 * plan_km) {
    ADD_FAILURE() << item.id << ": LP distance " << best.value_or(-1) << " lot-km, plan "
                  << plan_km;
    return false;
  }
  return true;
}

TEST(AllocatorOracle, AgreesWithLinearProgramsOnRandomInstances) {
  int agreed = 0;
  for (int seed = 1; seed <= kInstances; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    ProvinceOptions options = SmallProvinceOptions(seed);
    options.min_order_days = 0;  // the LP knows no minimum order
    options.substitutes = false;
    const Province p = GenerateProvince(options);
    const AllocationPlan plan = Allocate(p.city, p.stock, p.demand);
    bool all = true;
    for (const Item& item : p.city.items()) {
      all = CoverAgrees(p, item, plan) && DistanceAgrees(p, item, plan) && all;
    }
    agreed += all;
  }
  std::printf("oracle agreed on %d/%d instances\n", agreed, kInstances);
  EXPECT_EQ(agreed, kInstances);
}

}  // namespace
}  // namespace ppe
