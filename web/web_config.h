// WebConfig: web.yaml as `ppe-ctl init` writes it: the broker access of ppe-web's own viewer key,
// where the dashboard listens, when it asks for a login, the names it answers to and its TLS files.
#pragma once

#include <string>
#include <vector>

#include "common/deployment.h"
#include "common/status.h"

namespace ppe::web {

// When pages ask for a login: kAuto only when the dashboard listens beyond loopback.
enum class LoginMode { kAuto, kAlways };

struct ListenAddress {
  std::string host = "127.0.0.1";
  int port = 0;
};

// "HOST:PORT" or "[V6]:PORT"; the error says what was wrong.
Result<ListenAddress> ParseListen(const std::string& text);
// 127.x.x.x, ::1 and localhost: only this machine reaches it.
bool IsLoopbackHost(const std::string& host);

// Where a page listens and who may see it, as a config file says: listen, login, users, hosts,
// tls_cert, tls_key (web.yaml's keys; a node config's carry the prefix web_).
struct PageSettings {
  ListenAddress listen;
  LoginMode login = LoginMode::kAuto;
  std::string users_file;    // name:crypto_pwhash_str lines
  std::vector<std::string> hosts;  // more names the page is reached by (Host check)
  std::string tls_cert, tls_key;   // both set: HTTPS

  bool NeedsLogin() const { return login == LoginMode::kAlways || !IsLoopbackHost(listen.host); }
  bool Tls() const { return !tls_cert.empty() && !tls_key.empty(); }
};

// Reads `prefix`listen, `prefix`login, ... from the YAML file `path` into `settings`, keeping what
// it holds for a key the file lacks; paths are resolved beside the file, the users file defaults
// to `default_users` there.
Status LoadPageSettings(const std::string& path, const std::string& prefix, const std::string& default_users,
                        PageSettings* settings);

struct WebConfig : PageSettings {
  ClientConfig client;       // broker, keys, city (paths resolved against web.yaml's folder)

  static Result<WebConfig> Load(const std::string& path);
};

}  // namespace ppe::web
