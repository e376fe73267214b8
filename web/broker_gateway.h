// BrokerGateway: ppe-web's only way to the broker. One thread polls the city (status, demand, open
// orders) about once a second into an immutable snapshot every page reads, so however many people
// keep pages open the broker answers one poller; other questions go one at a time on a second
// connection, and the dry-run plan is reused for a while (a province's plan takes seconds).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/city.h"
#include "common/clock.h"
#include "common/deployment.h"
#include "common/status.h"
#include "ctl/broker_client.h"
#include "web/city_view.h"
#include "web/trend_book.h"

namespace ppe::web {

// The city as last read: pages render from this, never from a half-read state.
struct Snapshot {
  uint64_t version = 0;    // grows when anything the pages show changed
  int64_t fetched_ms = 0;  // 0: never read
  std::string error;       // why the last poll failed ("" when it did not)
  bool broker_away = false;  // the last poll had no answer from the broker at all
  nlohmann::json status;   // ppe-ctl status --json
  // The broker's live catalogue (ppe-web's city file until the first poll read it): the names,
  // sites and policy the pages show. Never null.
  std::shared_ptr<const City> city;
  // Shared by the snapshots between two reads of the rows (a province's are megabytes).
  std::shared_ptr<const std::vector<DemandFact>> demand = std::make_shared<const std::vector<DemandFact>>();
  CityView view;
};

class BrokerGateway {
 public:
  static constexpr int kPollMs = 1000;
  static constexpr int64_t kPlanReuseMs = 15000;

  // `config` must outlive the gateway; `city` (the city file) stands for the catalogue until the
  // broker's is read.
  BrokerGateway(const ClientConfig& config, City city);
  ~BrokerGateway();

  Status Start();  // connects both clients and starts polling
  void Stop();

  std::shared_ptr<const Snapshot> Current() const;
  // The current snapshot's catalogue: hold it for the whole page, so one page shows one version.
  std::shared_ptr<const City> Catalogue() const { return Current()->city; }
  // Waits (bounded) for the first poll to finish, so the first page shows figures.
  void WaitFirstPoll(int timeout_ms);

  // One request on the on-demand connection (serialized), the reply's JSON text; at once an error
  // while the poller finds the broker away (a page says so now, not after the timeout).
  Result<std::string> Ask(const std::string& command, const nlohmann::json& args, int timeout_ms = 15000);
  Result<nlohmann::json> AskJson(const std::string& command, const nlohmann::json& args, int timeout_ms = 15000);
  // allocate --dry-run's JSON text, reused for kPlanReuseMs while the city is unchanged.
  Result<std::shared_ptr<const std::string>> Plan();

 private:
  void PollLoop();
  void PollOnce();
  // The broker's catalogue, as `catalogue` answers it, at its version.
  Result<std::shared_ptr<const City>> ReadCatalogue();

  const ClientConfig& config_;
  std::shared_ptr<const City> catalogue_;  // the poller's
  bool catalogue_read_ = false;            // from the broker, not yet only the city file
  std::unique_ptr<BrokerClient> poll_client_, ask_client_;
  std::mutex ask_mutex_;
  mutable std::mutex snapshot_mutex_;
  std::condition_variable polled_;
  std::shared_ptr<const Snapshot> snapshot_;
  TrendBook trend_;
  uint64_t last_hash_ = 0;
  // The poller's own (its thread only): what it read last and when, to read only what moved.
  int64_t demand_took_ms_ = 0, demand_fetched_ms_ = 0, previous_events_ = -1;
  uint64_t demand_hash_ = 0, orders_hash_ = 0;
  uint64_t previous_demand_changes_ = 0;
  std::shared_ptr<const std::vector<OrderFact>> in_flight_;
  int64_t orders_took_ms_ = 0, orders_fetched_ms_ = 0;
  int64_t log_since_ms_ = NowMs() - 60000;  // a broker clock a minute off still shows its events
  int64_t last_log_event_ = 0;
  std::mutex plan_mutex_;
  std::shared_ptr<const std::string> plan_text_;
  int64_t plan_ms_ = 0;
  uint64_t plan_version_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  std::thread thread_;
};

}  // namespace ppe::web
