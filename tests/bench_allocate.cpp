// ppe-bench-allocate: times Allocate on the generated province, single-threaded, then the same
// round with its orders split into batch lines (three batches per warehouse and item, one undated,
// picked earliest expiry first as a committed round picks them). Prints median/min/max
// milliseconds over R runs, the plan's size and the peak RSS.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <map>
#include <utility>

#include "broker/allocator.h"
#include "broker/batch_picking.h"
#include "tests/province.h"

namespace {

// VmHWM from /proc/self/status, in MiB: the process's peak resident set.
double PeakRssMiB() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024;
  }
  return 0;
}

// Each warehouse's stock of an item in three batches: two dated (one a quarter of it, expiring
// first), the rest undated.
std::map<std::pair<std::string, std::string>, std::vector<ppe::BatchStock>> Batches(const ppe::Province& p) {
  std::map<std::pair<std::string, std::string>, std::vector<ppe::BatchStock>> batches;
  int64_t id = 0;
  for (const ppe::WarehouseStock& s : p.stock) {
    const int64_t quarter = s.available / 4;
    batches[{s.warehouse, s.item}] = {{++id, "2030-01-31", quarter, 0},
                                      {++id, "2031-06-30", quarter, 0},
                                      {++id, "", s.available - 2 * quarter, 0}};
  }
  return batches;
}

double Median(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  return ms.size() % 2 ? ms[ms.size() / 2] : (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 7;
  bool json = false;
  ppe::ProvinceOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--json") {
      json = true;
    } else if (arg == "--runs" && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--seed" && i + 1 < argc) {
      options.seed = std::strtoull(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr,
                   "usage: ppe-bench-allocate [--runs R (default 7)] [--seed N] [--json]\n"
                   "Times one allocation round on a province of 100 counties, 200 warehouses,\n"
                   "10,000 sites and 5 items.\n");
      return arg == "--help" ? 0 : 2;
    }
  }
  const ppe::Province province = ppe::GenerateProvince(options);
  std::vector<double> ms, with_lines_ms;
  size_t orders = 0, coverage = 0, lines = 0;
  for (int r = 0; r < runs; ++r) {
    auto batches = Batches(province);
    const auto start = std::chrono::steady_clock::now();
    const ppe::AllocationPlan plan = ppe::Allocate(province.city, province.stock, province.demand);
    const auto allocated = std::chrono::steady_clock::now();
    lines = 0;
    for (const ppe::PlannedOrder& o : plan.orders) {
      lines += ppe::PickForOrder(batches[{o.from_warehouse, o.item}], o.qty, "2026-01-01").size();
    }
    const auto picked = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(allocated - start).count());
    with_lines_ms.push_back(std::chrono::duration<double, std::milli>(picked - start).count());
    orders = plan.orders.size();
    coverage = plan.coverage.size();
  }
  const double median = Median(ms), with_lines = Median(with_lines_ms);
  std::sort(ms.begin(), ms.end());
  if (json) {
    std::printf("{\"runs\":%d,\"median_ms\":%.2f,\"min_ms\":%.2f,\"max_ms\":%.2f,"
                "\"with_batch_lines_median_ms\":%.2f,\"batch_lines\":%zu,"
                "\"peak_rss_mib\":%.1f,\"orders\":%zu,\"coverage\":%zu,\"sites\":%zu,"
                "\"demand_rows\":%zu}\n",
                runs, median, ms.front(), ms.back(), with_lines, lines, PeakRssMiB(), orders, coverage,
                province.city.sites().size(), province.demand.size());
  } else {
    std::printf("province: %zu counties, %zu warehouses, %zu sites, %zu items, %zu demand rows\n",
                province.city.counties().size(), province.city.warehouses().size(),
                province.city.sites().size(), province.city.items().size(),
                province.demand.size());
    std::printf("allocate: median %.2f ms, min %.2f ms, max %.2f ms over %d runs\n", median,
                ms.front(), ms.back(), runs);
    std::printf("with batch lines: median %.2f ms (%zu lines)\n", with_lines, lines);
    std::printf("plan: %zu orders, %zu coverage rows; peak RSS %.1f MiB\n", orders, coverage,
                PeakRssMiB());
  }
  return 0;
}
