// LP oracle (GLPK) for the allocator on random small instances:
// (a) max-min days of cover per tier, lexicographic by tier (LP relaxation), within one lot,
//     without minimum orders;
// (b) least total transport distance for the plan's per-site quantities, equal up to metre rounding;
// (c) with minimum orders: L* − D <= the plan's lowest cover <= L* in every tier, where L* is the
//     LP's max-min level of (a) and D the tier's largest first block in days (derivation below).
//
// Where an LP/MIP cannot express the rule. The LP knows no minimum order. A MIP could (x_i = 0 or
// x_i >= block_i, by a binary per site, with one site allowed a short block), but the rule is a
// greedy, not an optimum of any such program: the lowest site takes its whole first block, keyed
// at its starting cover, even when splitting that block would raise the minimum. Example: A at 0
// days with a 2-lot block (one lot = 1 day of A), B at 0.1 days with a 1-lot block (one lot = 1 day
// of B), 2 lots: the rule gives A both (minimum 0.1 days), the max-min MIP gives one each (1 day).
// So a MIP optimum is neither the plan nor a lower bound on it; as an upper bound it only holds
// for plans that keep the block structure, which tests/allocator_test.cpp checks directly (at most
// one short block per fill). We therefore check the LP's two-sided bound (c) and no MIP.
//
// Derivation of (c), for one tier t of one item (substitutes off, so one fill per tier and item).
// Site i: base b_i units, daily use u_i, starting cover a_i = b_i / u_i, cap c_i >= 1 lots,
// first block f_i = clamp(min_lots_i, 1, c_i), grant g_i lots, final cover d_i = (b_i + g_i l) / u_i;
// lot l, supply S lots with S < sum c_i (the tier ran short; otherwise every site is at target and
// plan_min = L* = target). The greedy serves keys in nondecreasing order and ends with sum g_i = S.
// Let K be the key of its last grant, the largest key it served (for the short block's site p,
// K = a_p). D = max_i f_i l / u_i.
//  1. Every site ends at or above K. A short site with nothing has d_i = a_i = its next key >= K;
//     a short site with its block has d_i = its next key >= K; the short block's site has
//     d_p > a_p = K; a site at its cap has d_i >= target > K (every key is below the target,
//     since before each grant the site still needs more than zero). So plan_min >= K.
//  2. L* <= K + D. A served site's last key is <= K; it was its first block (d_i <= a_i + f_i l/u_i
//     <= K + D) or one lot (d_i <= K + l/u_i <= K + D, as f_i >= 1). So g_i l <= max(0, (K + D) u_i
//     − b_i) for every site, and F(z) = sum_i max(0, z u_i − b_i) has F(K + D) >= S l. The LP's
//     caps never bind below the target (c_i l >= need_i), so L* = max{z <= target : F(z) <= S l}
//     (when the LP's tier gets at most the S lots the plan's got, which holds: the tiers above
//     take min(their usable pool, sum of caps) in both, and released tier 1 drawing on the reserve
//     first leaves the most general stock). F is strictly increasing above min a_i <= K, so
//     L* > K + D would give F(L*) > F(K + D) >= S l, a contradiction.
//  Hence plan_min >= K >= L* − D. The bound needs no extra lot: a single lot overshoots K by
//  l / u_i <= f_i l / u_i. It is tight as the tier grows: n sites at 0 days with blocks of f lots,
//  then (last by id) one huge site at 0 days, and n f lots: the n blocks are served, the huge site
//  gets nothing, plan_min = 0, while L* = n f l / (n u + u_huge) -> f l / u = D.
//  Upper side: the plan's own grants are feasible for the LP stage of tier t, so plan_min <= L*.
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
constexpr int kMinOrderInstances = 600;
constexpr uint64_t kMinOrderSeeds = 1000;  // as tests/allocator_test.cpp's second set
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
  double block_units;  // the first block: FirstBlockLots = clamp(min_lots, 1, cap_lots), in units
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
    const double min_units = d.daily_use * policy.min_order_days;
    const double min_lots =
        std::max(1.0, min_units <= 1e-9 ? 0 : std::ceil(min_units / item.lot - 1e-9));
    stakes.push_back({d.site, tier,
                      std::count(policy.release_to_tiers.begin(), policy.release_to_tiers.end(),
                                 tier) > 0,
                      base, d.daily_use, cap_lots * item.lot, planned[d.site],
                      std::min(min_lots, cap_lots) * item.lot});
  }
  return stakes;
}

// One tier's figures for one item, from the lexicographic LP and from the plan.
struct TierLevel {
  int tier = 0;
  double lp_level = 0;      // L*: the LP's best lowest cover of the tier, given the tiers above
  double plan_min = 0;      // the plan's lowest cover of the tier after the round, at most target
  double one_lot_days = 0;  // max over the tier's sites of lot / daily_use
  double block_days = 0;    // D: max over the tier's sites of FirstBlockLots × lot / daily_use
  bool ran_short = false;   // some site of the tier ended below its cap
  bool served = false;      // some site of the tier got a lot
  double exhaustion_key = 0;  // K: the highest key at which the plan served a site of the tier
  bool partial_block = false;  // some site got less than its first block
  // How far L* may sit above the exact level because of the slack the lexicographic LP gives the
  // tiers above (1e-7 units per site row, 1e-6 per tier at target) and GLPK's own tolerance.
  double lp_slack_days = 0;
};

// Per tier in order: the LP's best minimum cover given the tiers above. A tier that reaches
// target then takes all it can up to its lot-rounded need, as whole lots make it take; the tiers
// below get the rest. Nothing when GLPK finds no optimum (reported as a failure).
std::optional<std::vector<TierLevel>> LexicographicLevels(const Province& p, const Item& item,
                                                          const AllocationPlan& plan) {
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
  std::vector<TierLevel> levels;
  double slack_units = 0;  // what the rows fixed so far let the tiers above leave over
  for (int tier : tiers) {
    Lp stage = lp;
    const int z = stage.AddColumn(-kInf, policy.target_days, 1);
    TierLevel level{tier};
    level.plan_min = kInf;
    level.exhaustion_key = -kInf;
    double least_daily_use = kInf;
    for (size_t i = 0; i < stakes.size(); ++i) {
      const SiteStake& s = stakes[i];
      if (s.tier != tier || s.cap_units == 0) continue;
      stage.AddRow({{columns[i].first, 1}, {columns[i].second, 1}, {z, -s.daily_use}}, -s.base, kInf);
      level.plan_min = std::min(level.plan_min, std::min((s.base + s.planned_units) / s.daily_use,
                                                         policy.target_days));
      level.one_lot_days = std::max(level.one_lot_days, item.lot / s.daily_use);
      level.block_days = std::max(level.block_days, s.block_units / s.daily_use);
      least_daily_use = std::min(least_daily_use, s.daily_use);
      level.ran_short |= s.planned_units < s.cap_units;
      if (s.planned_units > 0) {
        // Keyed at its starting cover if it got no more than its first block, else at its cover
        // before its last lot.
        const double last_key = s.planned_units <= s.block_units
                                    ? s.base / s.daily_use
                                    : (s.base + s.planned_units - item.lot) / s.daily_use;
        level.served = true;
        level.exhaustion_key = std::max(level.exhaustion_key, last_key);
        level.partial_block |= s.planned_units < s.block_units;
      }
    }
    if (level.plan_min == kInf) continue;  // every site of the tier is at target already
    const std::optional<double> best = stage.Solve(GLP_MAX);
    if (!best) {
      ADD_FAILURE() << item.id << " tier " << tier << ": GLPK found no optimum";
      return std::nullopt;
    }
    level.lp_level = *best;
    level.lp_slack_days = 1e-6 + slack_units / least_daily_use;
    levels.push_back(level);
    std::vector<std::pair<int, double>> tier_terms;
    for (size_t i = 0; i < stakes.size(); ++i) {
      const SiteStake& s = stakes[i];
      if (s.tier != tier || s.cap_units == 0) continue;
      lp.AddRow({{columns[i].first, 1}, {columns[i].second, 1}},
                std::max(0.0, *best * s.daily_use - s.base - 1e-7), kInf);
      slack_units += 1e-7;
      tier_terms.push_back({columns[i].first, 1});
      tier_terms.push_back({columns[i].second, 1});
    }
    if (*best >= policy.target_days - 1e-9) {
      Lp fill = lp;
      for (const auto& [column, one] : tier_terms) fill.SetObjective(column, one);
      const std::optional<double> taken = fill.Solve(GLP_MAX);
      if (!taken) {
        ADD_FAILURE() << item.id << " tier " << tier << ": GLPK found no fill optimum";
        return std::nullopt;
      }
      lp.AddRow(tier_terms, *taken - 1e-6, kInf);
      slack_units += 1e-6;
    }
  }
  return levels;
}

// (a) Without minimum orders: the LP's best minimum cover against the plan's, within one lot.
bool CoverAgrees(const Province& p, const Item& item, const AllocationPlan& plan) {
  const std::optional<std::vector<TierLevel>> levels = LexicographicLevels(p, item, plan);
  if (!levels) return false;
  for (const TierLevel& level : *levels) {
    if (std::abs(level.lp_level - level.plan_min) > level.one_lot_days + 1e-6) {
      ADD_FAILURE() << item.id << " tier " << level.tier << ": LP min cover " << level.lp_level
                    << ", plan " << level.plan_min << ", one lot " << level.one_lot_days
                    << " days";
      return false;
    }
  }
  return true;
}

// (c) With minimum orders, in each tier: L* − D <= plan_min <= L* (derivation at the top).
struct BoundStats {
  int tiers = 0, short_tiers = 0, block_tiers = 0, partial_tiers = 0;
  double closest = kInf;  // least (plan_min − (L* − D)) / D over short tiers with blocks
};

bool MinOrderBoundHolds(const Province& p, const Item& item, const AllocationPlan& plan,
                        BoundStats& stats) {
  const std::optional<std::vector<TierLevel>> levels = LexicographicLevels(p, item, plan);
  if (!levels) return false;
  bool holds = true;
  for (const TierLevel& level : *levels) {
    const double tolerance = level.lp_slack_days;
    const std::string where = item.id + " tier " + std::to_string(level.tier);
    ++stats.tiers;
    // Any plan is feasible for the LP (given what the tiers above left it): it is an upper bound.
    if (level.plan_min > level.lp_level + tolerance) {
      ADD_FAILURE() << where << ": plan's lowest cover " << level.plan_min << " above the LP's "
                    << level.lp_level;
      holds = false;
    }
    if (level.plan_min < level.lp_level - level.block_days - tolerance) {
      ADD_FAILURE() << where << ": plan's lowest cover " << level.plan_min << " below L* "
                    << level.lp_level << " minus the largest first block, " << level.block_days
                    << " days";
      holds = false;
    }
    if (!level.ran_short || !level.served) continue;
    // The two halves of the bound: every site ends at or above K, and L* <= K + D.
    ++stats.short_tiers;
    stats.block_tiers += level.block_days > level.one_lot_days + 1e-12;
    stats.partial_tiers += level.partial_block;
    if (level.plan_min < level.exhaustion_key - 1e-9) {
      ADD_FAILURE() << where << ": a site ends at " << level.plan_min
                    << " days, below the exhaustion key " << level.exhaustion_key;
      holds = false;
    }
    if (level.lp_level > level.exhaustion_key + level.block_days + tolerance) {
      ADD_FAILURE() << where << ": L* " << level.lp_level << " above the exhaustion key "
                    << level.exhaustion_key << " plus the largest block " << level.block_days;
      holds = false;
    }
    if (level.block_days > level.one_lot_days + 1e-12) {
      stats.closest = std::min(stats.closest, (level.plan_min - (level.lp_level - level.block_days)) /
                                                  level.block_days);
    }
  }
  return holds;
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

// With minimum orders on (0.5 to 3 days, daily use up to three times larger so blocks of several
// lots are common): the LP relaxation, which knows no minimum order, bounds the plan from both
// sides in each tier, and sourcing stays the least distance.
TEST(AllocatorOracle, MinimumOrdersStayWithinOneFirstBlockOfTheLinearProgram) {
  int agreed = 0, with_blocks = 0;
  BoundStats stats;
  for (int seed = 1; seed <= kMinOrderInstances; ++seed) {
    ProvinceOptions options = SmallProvinceOptions(kMinOrderSeeds + seed);
    options.min_order_days = 0.5 * (1 + seed % 6);
    options.use_scale *= 1 + seed % 3;
    options.substitutes = false;  // one LP per item
    SCOPED_TRACE("seed " + std::to_string(options.seed) + " min_order_days " +
                 std::to_string(options.min_order_days));
    const Province p = GenerateProvince(options);
    const AllocationPlan plan = Allocate(p.city, p.stock, p.demand);
    bool all = true;
    const int block_tiers = stats.block_tiers;
    for (const Item& item : p.city.items()) {
      all = MinOrderBoundHolds(p, item, plan, stats) && DistanceAgrees(p, item, plan) && all;
    }
    agreed += all;
    with_blocks += stats.block_tiers > block_tiers;
  }
  std::printf("oracle with minimum orders agreed on %d/%d instances (%d with a short tier whose "
              "first block is over one lot); %d tiers, %d ran short, %d with blocks, %d with a "
              "short last block; closest approach to L* - D: %.4f of D\n",
              agreed, kMinOrderInstances, with_blocks, stats.tiers, stats.short_tiers,
              stats.block_tiers, stats.partial_tiers, stats.closest);
  EXPECT_EQ(agreed, kMinOrderInstances);
  EXPECT_GE(with_blocks, kMinOrderInstances / 2);
}

}  // namespace
}  // namespace ppe
