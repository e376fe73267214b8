// NodeWebConfig: the county page's settings, kept in the node's own config (nodes/<node>.yaml, the
// keys web_listen, web_login, web_users, web_hosts, web_tls_cert, web_tls_key); loopback unless it says otherwise.
#pragma once

#include <string>

#include "common/status.h"
#include "web/web_config.h"

namespace ppe::web {

struct NodeWebConfig : PageSettings {
  // `node` names the default users file, <node>-web-users beside the config. A config without
  // web_listen (written before the county page) is refused, saying what to add, unless `listen_given`.
  static Result<NodeWebConfig> Load(const std::string& node_config_path, const std::string& node, bool listen_given);
};

}  // namespace ppe::web
