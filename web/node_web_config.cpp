#include "web/node_web_config.h"

#include <yaml-cpp/yaml.h>

namespace ppe::web {

Result<NodeWebConfig> NodeWebConfig::Load(const std::string& path, const std::string& node, bool listen_given) {
  NodeWebConfig c;
  if (Status s = LoadPageSettings(path, "web_", node + "-web-users", &c); !s.ok()) return s;
  bool has_listen = false;
  try {
    has_listen = static_cast<bool>(YAML::LoadFile(path)["web_listen"]);
  } catch (const YAML::Exception& e) {
    return Status::Error(path + ": " + e.what());
  }
  if (!has_listen && !listen_given) {
    return Status::Error(path + " has no web_listen (it was written before the county page): add a line "
                         "'web_listen: 127.0.0.1:PORT' with a free port, or pass --listen 127.0.0.1:PORT");
  }
  return c;
}

}  // namespace ppe::web
