#include "web/web_config.h"

#include <yaml-cpp/yaml.h>

namespace ppe::web {

Result<ListenAddress> ParseListen(const std::string& text) {
  ListenAddress a;
  size_t colon;
  if (!text.empty() && text[0] == '[') {
    const size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Status::Error("listen address '" + text + "' is not like [::1]:7702");
    }
    a.host = text.substr(1, close - 1);
    colon = close + 1;
  } else {
    colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      return Status::Error("listen address '" + text + "' is not like 127.0.0.1:7702");
    }
    a.host = text.substr(0, colon);
  }
  const std::string port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535) {
    return Status::Error("listen address '" + text + "': the port must be 0..65535 (0: any free one)");
  }
  a.port = std::stoi(port);
  if (a.host == "*") a.host = "0.0.0.0";
  return a;
}

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

Status LoadPageSettings(const std::string& path, const std::string& prefix, const std::string& default_users,
                        PageSettings* c) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return Status::Error(path + ": " + e.what());
  }
  const auto key = [&](const char* name) { return prefix + name; };
  try {
    if (root[key("listen")]) {
      auto listen = ParseListen(root[key("listen")].as<std::string>());
      if (!listen.ok()) return Status::Error(path + ": " + key("listen") + ": " + listen.status().message());
      c->listen = *listen;
    }
    if (root[key("login")]) {
      const std::string login = root[key("login")].as<std::string>();
      if (login == "always") {
        c->login = LoginMode::kAlways;
      } else if (login != "auto") {
        return Status::Error(path + ": " + key("login") + " must be auto or always, not '" + login + "'");
      }
    }
    c->users_file = ResolveBeside(path, root[key("users")] ? root[key("users")].as<std::string>() : default_users);
    if (root[key("hosts")]) {
      for (const auto& h : root[key("hosts")]) c->hosts.push_back(h.as<std::string>());
    }
    if (root[key("tls_cert")]) c->tls_cert = ResolveBeside(path, root[key("tls_cert")].as<std::string>());
    if (root[key("tls_key")]) c->tls_key = ResolveBeside(path, root[key("tls_key")].as<std::string>());
  } catch (const YAML::Exception& e) {
    return Status::Error(path + ": " + e.what());
  }
  if (c->tls_cert.empty() != c->tls_key.empty()) {
    return Status::Error(path + ": " + key("tls_cert") + " and " + key("tls_key") + " go together (both, or neither)");
  }
  return Status::Ok();
}

Result<WebConfig> WebConfig::Load(const std::string& path) {
  auto client = ClientConfig::Load(path);
  if (!client.ok()) return client.status();
  WebConfig c;
  c.client = std::move(*client);
  if (c.client.city.empty()) return Status::Error(path + ": 'city' is required (the city file, for the map)");
  if (Status s = LoadPageSettings(path, "", "web-users", &c); !s.ok()) return s;
  return c;
}

}  // namespace ppe::web
