// HttpServer: ppe-web's HTTP side, on cpp-httplib (Debian's libcpp-httplib): the routes of every
// page and its /api mirror, and around each the checks: Host (DNS rebinding), login, language,
// read-only methods (PageShell: a bad request gets a 4xx page in the user's language, an exception a 500 page).
#pragma once

#include <memory>
#include <string>

#include "common/city.h"
#include "common/status.h"
#include "web/broker_gateway.h"
#include "web/page_shell.h"
#include "web/session_login.h"
#include "web/svg_map.h"
#include "web/web_config.h"

namespace httplib {
class Server;
}

namespace ppe::web {

class HttpServer {
 public:
  // `login` is null when no login is needed; everything must outlive the server.
  // Pages render with the catalogue of the gateway's snapshot (the broker's live one).
  HttpServer(const WebConfig& config, BrokerGateway& gateway, SessionLogin* login);
  ~HttpServer();

  // Binds (port 0: any free one); the error says why it could not.
  Status Bind(const ListenAddress& address);
  int port() const { return port_; }
  // Serves until Stop(); returns false if the server failed.
  bool Run();
  void Stop();

 private:
  void Routes();

  const WebConfig& config_;
  BrokerGateway& gateway_;
  SessionLogin* login_;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<PageShell> shell_;  // Host, login, error pages: shared with the county page
  int port_ = 0;
};

}  // namespace ppe::web
