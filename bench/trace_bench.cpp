// ppe-tracebench: times `trace --donor` the way the broker answers it (donation_trace.h), for one
// donor whose donation went out in N orders (default 10,000): half received, half in transit.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "bench/bench_util.h"
#include "broker/broker_store.h"
#include "broker/donation_trace.h"
#include "common/city.h"

namespace ppe::bench {
namespace {

constexpr const char* kCity = R"(city: bench
items: [{id: mask.n95, name: N95, unit: piece, lot: 50, substitutes_for: []}]
tiers: {1: [designated_hospital]}
policy: {target_days: 7, min_order_days: 1}
counties: [{id: alpha, name: Alpha, location: [26, 117]}]
warehouses: [{id: alpha-wh, county: alpha, name: Alpha warehouse}]
sites: [{id: h1, county: alpha, name: Hospital, kind: designated_hospital, headcount: 100}]
)";

// One donation, then `orders` orders of 50 from it, as the order book leaves them: lines and the
// batch's moves, so the trace adds up.
Status Fill(BrokerStore& store, int64_t orders) {
  PPE_RETURN_IF_ERROR(store.Begin());
  wire::Receipt gift;
  gift.set_warehouse("alpha-wh");
  gift.set_item("mask.n95");
  gift.set_quantity(orders * 50);
  gift.set_source(wire::DONATION);
  gift.set_from("Bench Donor");
  PPE_RETURN_IF_ERROR(store.ApplyReceipt({"alpha", 1, 1000, 1000}, gift));
  Statement& order = store.db().Prepare(
      "INSERT INTO orders (id, round, from_warehouse, from_county, to_site, to_county, item, for_item, qty, status, "
      "received_qty, tier, days_before, days_after, distance_km, reason, created_ms, updated_ms) VALUES "
      "(?1, 1, 'alpha-wh', 'alpha', 'site-' || ?1, 'alpha', 'mask.n95', 'mask.n95', 50, ?2, ?3, 1, 0, 1, 0, "
      "'own county', 2000, 3000)");
  Statement& line = store.db().Prepare("INSERT INTO order_lines (order_id, batch, qty, received) VALUES (?1, 1, 50, ?2)");
  Statement& move = store.db().Prepare("INSERT INTO batch_moves (batch, event_id, delta) VALUES (1, ?1, -50)");
  for (int64_t id = 1; id <= orders; ++id) {
    const bool received = id % 2 == 0;
    order.Reset().Bind(1, id).Bind(2, received ? "received" : "shipped");
    received ? (void)order.Bind(3, int64_t{50}) : (void)order.BindNull(3);
    PPE_RETURN_IF_ERROR(order.Run());
    line.Reset().Bind(1, id);
    received ? (void)line.Bind(2, int64_t{50}) : (void)line.BindNull(2);
    PPE_RETURN_IF_ERROR(line.Run());
    PPE_RETURN_IF_ERROR(move.Reset().Bind(1, 1000 + id).Run());
  }
  PPE_RETURN_IF_ERROR(store.db().Exec("UPDATE batches SET on_hand = 0 WHERE id = 1"));
  return store.Commit();
}

int Run(int64_t orders, int runs, bool json) {
  auto city = City::Parse(kCity);
  if (!city.ok()) return (std::cerr << city.status().message() << "\n", 1);
  const std::string dir = std::filesystem::temp_directory_path() / ("ppe-tracebench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  int rc = 0;
  {
    auto store = BrokerStore::Open(dir + "/broker.db");
    if (!store.ok() || !Fill(**store, orders).ok()) {
      std::cerr << "ppe-tracebench: cannot fill the store\n";
      rc = 1;
    } else {
      std::vector<double> ms;
      bool adds_up = true;
      for (int r = 0; r < runs; ++r) {
        const int64_t start = NowUs();
        const nlohmann::json trace = Trace((*store)->db(), *city, TraceBy::kDonor, "Bench Donor");
        const std::string text = trace.dump();  // what the broker sends
        ms.push_back((NowUs() - start) / 1000.0);
        adds_up = adds_up && trace["adds_up"].get<bool>() && trace["rows"].size() == static_cast<size_t>(orders);
      }
      std::sort(ms.begin(), ms.end());
      if (json) {
        std::cout << JsonLine().Num("orders", orders).Num("median_ms", ms[ms.size() / 2]).Num("min_ms", ms.front())
                         .Num("max_ms", ms.back()).Num("adds_up", adds_up).str() << "\n";
      } else {
        std::printf("trace of a donor in %lld orders: median %.1f ms (min %.1f, max %.1f) over %d runs; %s\n",
                    static_cast<long long>(orders), ms[ms.size() / 2], ms.front(), ms.back(), runs,
                    adds_up ? "adds up" : "DOES NOT ADD UP");
      }
      rc = adds_up ? 0 : 1;
    }
  }
  std::filesystem::remove_all(dir);
  return rc;
}

}  // namespace
}  // namespace ppe::bench

int main(int argc, char** argv) {
  CLI::App app{"ppe-tracebench: time `trace --donor` for a donor whose goods went into many orders"};
  int64_t orders = 10000;
  int runs = 5;
  bool json = false;
  app.add_option("--orders", orders, "orders drawn on the donation (default 10,000)");
  app.add_option("--runs", runs, "timed runs (default 5)");
  app.add_flag("--json", json, "print one JSON line");
  CLI11_PARSE(app, argc, argv);
  return ppe::bench::Run(orders, std::max(1, runs), json);
}
