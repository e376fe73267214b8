// NodeWebServer: the county page's HTTP side ('ppe-node web'): its routes, each form POST checked
// for the page's CSRF token (a POST without it records nothing) and recorded through NodeDesk, as the commands do.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/city.h"
#include "nodes/node_desk.h"
#include "web/csrf_guard.h"
#include "web/node_web_config.h"
#include "web/page_shell.h"

namespace httplib {
class Server;
}

namespace ppe::web {

class NodeWebServer {
 public:
  // `file_city`: the node's city file, to which the catalogue changes in `store` are applied, again
  // whenever the daemon has stored more. `login` null: no login needed. The references must
  // outlive the server.
  NodeWebServer(const NodeWebConfig& config, const NodeConfig& node, City file_city, NodeStore& store,
                SessionLogin* login);
  ~NodeWebServer();

  Status Bind(const ListenAddress& address);  // port 0: any free one
  int port() const { return port_; }
  bool Run();  // serves until Stop(); false if the server failed
  void Stop();

 private:
  // What a POST did, shown once on the page it redirects to (POST-redirect-GET).
  struct Flash {
    uint64_t id = 0;
    std::vector<wire::Report> reports;  // the first few recorded, to name them
    size_t count = 0;
    uint64_t first_seq = 0, last_seq = 0;
    std::string encoding;
    StepTaken step;
    int64_t order = 0;
  };

  void Routes();
  // This browser's CSRF id from its cookie, or a new one set on `res`; the token for forms.
  std::string FormToken(const httplib::Request& req, httplib::Response& res) const;
  bool TokenValid(const httplib::Request& req, const std::string& token) const;
  static Flash FlashOf(const Recorded& done);
  uint64_t Remember(Flash flash);
  std::string Notice(const httplib::Request& req, Lang lang);

  // The live city and the desk checking against it, made again when the store holds a newer
  // catalogue version (called with mutex_ held).
  void FollowCatalogue();

  const NodeWebConfig& config_;
  const NodeConfig& node_;
  const City file_city_;
  NodeStore& store_;
  std::unique_ptr<City> city_;
  std::unique_ptr<NodeDesk> desk_;
  std::optional<uint64_t> catalogue_held_;
  SessionLogin* login_;
  CsrfGuard csrf_;
  std::mutex mutex_;  // the city, the desk and the store: one request at a time (SQLite, one connection)
  std::deque<Flash> flashes_;
  uint64_t next_flash_ = 1;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<PageShell> shell_;
  int port_ = 0;
};

}  // namespace ppe::web
