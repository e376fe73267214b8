// ppe-broker: the city broker. Stores every report durably, rations by rule, dispatches orders.
#include <CLI/CLI.hpp>
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <atomic>
#include <csignal>
#include <iostream>

#include "broker/broker_server.h"
#include "common/logging.h"

namespace {
std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};
}  // namespace

int main(int argc, char** argv) {
  umask(077);  // its store (and -wal, -shm), logs, dispatch log and backups: the owner's alone
  // A province's plan is built, serialized and encrypted in buffers of ~10 MB. By default glibc
  // maps each afresh and hands it back on free, so every dry run paid ~10,000 page faults (costly
  // under virtualization: a third of the broker's CPU for a dry run). Kept in the heap instead;
  // the broker's RSS stays well under its 200 MiB budget at province scale.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  CLI::App app{"ppe-broker: the city broker of the PPE supply service"};
  std::string config_path;
  app.add_option("--config", config_path, "broker.yaml written by 'ppe-ctl init'")->required();
  bool apply_city_file = false;
  app.add_flag("--apply-city-file", apply_city_file,
               "make the city file the live catalogue even over changes made since (ppe-ctl site, policy): "
               "its sites and policy become changes every node gets");
  std::string log_level;
  app.add_option("--log-level", log_level, "trace, debug, info, warn or error (overrides config)");
  CLI11_PARSE(app, argc, argv);

  auto config = ppe::BrokerConfig::Load(config_path);
  if (!config.ok()) {
    std::cerr << "ppe-broker: " << config.status().message() << "\n";
    return 2;
  }
  if (!log_level.empty()) config->log_level = log_level;
  if (auto s = ppe::SetUpLogging("broker", config->log_file, config->log_level); !s.ok()) {
    std::cerr << "ppe-broker: " << s.message() << "\n";
    return 2;
  }
  if (!config->secure) {
    // At every start, so no one runs a deployment in the clear without the log saying so.
    spdlog::warn("INSECURE: secure is false in {}: no encryption, and a key's PLAIN \"password\" is its "
                 "public key; anyone who reaches {} can read every report and order and act as any "
                 "key. For a trusted lab network only (docs/security.md)",
                 config_path, config->listen);
  }
  auto city = ppe::City::Load(config->city);
  if (!city.ok()) {
    std::cerr << "ppe-broker: " << city.status().message() << "\n";
    return 2;
  }
  std::signal(SIGINT, [](int) { g_stop = true; });
  std::signal(SIGTERM, [](int) { g_stop = true; });
  std::signal(SIGHUP, [](int) { g_reload = true; });

  ppe::BrokerServer server(std::move(*city), *config);
  if (auto s = server.Start(apply_city_file); !s.ok()) {
    spdlog::critical("{}", s.message());
    std::cerr << "ppe-broker: " << s.message() << "\n";
    return 1;
  }
  server.Run(g_stop, g_reload);
  return 0;
}
