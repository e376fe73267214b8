// ppe-web: the coordinators' dashboard: the city at a glance, a county, a site, an order, the
// dispatch log, the donations report and a dry-run plan, in Chinese first, live, read-only.
#include <CLI/CLI.hpp>
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>

#include "common/city.h"
#include "web/broker_gateway.h"
#include "web/http_server.h"
#include "web/serve_loop.h"
#include "web/session_login.h"
#include "web/web_config.h"

namespace {

int Fail(const std::string& message) {
  std::cerr << "ppe-web: " << message << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  umask(077);
  // Two malloc arenas, not one per thread of the HTTP pool: the poller's and the plan's large,
  // short-lived replies would otherwise leave each arena holding its own high-water mark.
  mallopt(M_ARENA_MAX, 2);
  // Below the broker it usually shares a machine with (nice 10): a dashboard may answer a little
  // later, the nodes' acknowledgements may not.
  if (setpriority(PRIO_PROCESS, 0, 10) != 0) std::perror("ppe-web: setpriority");
  CLI::App app{"ppe-web: the coordinators' dashboard (read-only): open http://127.0.0.1:<broker port + 2>/"};
  std::string config_path, listen;
  app.add_option("--config", config_path, "web.yaml, written by 'ppe-ctl init'")->required();
  app.add_option("--listen", listen, "ADDR:PORT to listen on (default: web.yaml's listen; port 0: any free one)");
  std::string user_name;
  auto* user = app.add_subcommand("user", "manage who may log in (the users file named in web.yaml)");
  auto* user_add = user->add_subcommand("add", "add a user, or set a user's password (read from stdin)");
  user_add->add_option("NAME", user_name, "the user's name")->required();
  user->require_subcommand(1);
  CLI11_PARSE(app, argc, argv);

  auto config = ppe::web::WebConfig::Load(config_path);
  if (!config.ok()) return Fail(config.status().message());
  if (app.got_subcommand(user)) {
    const std::string password = ppe::web::ReadPassword();
    if (auto s = ppe::web::SetUserPassword(config->users_file, user_name, password); !s.ok()) return Fail(s.message());
    std::cout << "user '" << user_name << "' may log in (" << config->users_file << ")\n";
    return 0;
  }
  if (!listen.empty()) {
    auto address = ppe::web::ParseListen(listen);
    if (!address.ok()) return Fail(address.status().message());
    config->listen = *address;
  }
  auto city = ppe::City::Load(config->client.city);
  if (!city.ok()) return Fail(city.status().message());
  // A province's file is a YAML tree of ~60 MB while it is read: give it back before the poll
  // thread reads the broker's catalogue into a tree of the same size in an arena of its own.
  malloc_trim(0);

  auto login = ppe::web::LoginFor(*config, "ppe-web --config " + config_path + " user add NAME");
  if (!login.ok()) return Fail(login.status().message());
  const sigset_t stop_signals = ppe::web::BlockStopSignals();  // before the gateway's threads start

  ppe::web::BrokerGateway gateway(config->client, std::move(*city));
  if (auto s = gateway.Start(); !s.ok()) return Fail(s.message());
  ppe::web::HttpServer server(*config, gateway, login->get());
  if (auto s = server.Bind(config->listen); !s.ok()) return Fail(s.message());
  gateway.WaitFirstPoll(3000);
  std::cout << "ppe-web: " << ppe::web::PageAddress(*config, server.port()) << " ("
            << (*login ? "login required" : "no login: loopback only") << "; broker " << config->client.endpoint.address
            << ")" << std::endl;
  const bool ok = ppe::web::ServeUntilStopped(stop_signals, [&] { return server.Run(); }, [&] { server.Stop(); });
  gateway.Stop();
  return ok ? 0 : 1;
}
