// Deployment configs: broker.yaml, nodes/<node>.yaml and ctl.yaml / viewer.yaml as `ppe-ctl init`
// writes them. Relative paths inside a file are resolved against that file's folder at load.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace ppe {

// How a client (node or ctl) reaches and proves itself to the broker.
struct BrokerEndpoint {
  std::string address;     // tcp://host:port of the broker's ROUTER
  bool secure = true;      // CURVE; false: PLAIN on a trusted network (init --insecure)
  std::string broker_key;  // the broker's public certificate
  std::string key;         // this client's secret certificate
};

struct BrokerConfig {
  std::string city;
  std::string listen;       // ROUTER for nodes and ctl
  std::string feed;         // PUB for the live dispatch log
  bool secure = true;
  std::string key;          // broker's secret certificate
  std::string clients_dir;  // every NAME.key in here, but the broker's own, may connect
  std::string store;
  std::string log_file;
  std::string log_level = "info";
  std::string dispatch_log;
  int64_t auto_allocate_every_s = 0;  // 0: rounds only on request
  int64_t silent_after_s = 300;       // a county quiet this long is flagged
  double alert_cover_days = 2;        // sites under this cover are flagged
  double expiry_alert_days = 30;      // batches expiring within this many days are flagged
  int64_t accept_within_s = 1800;     // an order its node has not taken by then is flagged
  int64_t ship_within_s = 21600;      // an order not shipped by then is flagged
  int64_t max_message_bytes = 4 << 20;
  // Per key and minute (broker/key_budget.h says why these figures).
  int64_t refusals_stored_per_key_per_minute = 600;
  int64_t ledger_rows_per_key_per_minute = 2'000'000;
  int64_t log_lines_per_key_per_minute = 60;
  // Connections served at once per key (a node needs one; ppe-ctl one per command running).
  int64_t connections_per_key = 32;

  static Result<BrokerConfig> Load(const std::string& path);
};

struct NodeConfig {
  std::string node;    // node id (= county id, or "city")
  std::string county;
  std::string city;
  BrokerEndpoint endpoint;
  std::string store;
  std::string log_file;
  std::string log_level = "info";
  int64_t heartbeat_ms = 1000;
  // Acknowledged reports stay this long, so a broker restored from an older backup gets back
  // everything it lost; the outbox is pruned past it.
  double keep_acked_days = 30;

  static Result<NodeConfig> Load(const std::string& path);
};

// ppe-ctl's config: a coordinator (ctl.yaml) or a viewer (viewer.yaml).
struct ClientConfig {
  std::string name;
  std::string role;
  std::string city;
  std::string feed;
  BrokerEndpoint endpoint;

  static Result<ClientConfig> Load(const std::string& path);
};

// `base`'s folder joined with `path`, unless `path` is absolute.
std::string ResolveBeside(const std::string& base_file, const std::string& path);

}  // namespace ppe
