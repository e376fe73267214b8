// DeploymentWriter: `ppe-ctl init`: from a city file, a runnable deployment folder: configs for the
// broker, coordinator, viewer, ppe-web (web.yaml) and every node, and a fresh CURVE certificate for each; `ppe-ctl keys`.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "common/status.h"

namespace ppe {

struct InitOptions {
  std::string city_file;
  std::string out_dir;
  int port_base = 7700;
  std::string bind = "127.0.0.1";
  bool insecure = false;
};

// Refuses to overwrite an existing deployment (its keys would be lost); prints what it wrote.
Status WriteDeployment(const InitOptions& options, std::ostream& out);

struct KeyOptions {
  std::string dir;     // the deployment folder
  std::string name;    // the key's file name and identity
  std::string role;    // viewer, coordinator or node
  std::string county;  // node only; default: the name, when it is a county
};

// `ppe-ctl keys add`: one more key and its config (DIR/NAME.yaml, or DIR/nodes/NAME.yaml for a
// node) in an existing deployment, touching nothing else; refuses a name already taken. The
// running broker admits the key after SIGHUP.
Status AddKey(const KeyOptions& options, std::ostream& out);

// `ppe-ctl keys list`: every certificate in the broker's key folder (its own too), as rows
// {name, role, county, file}.
Result<nlohmann::json> ListKeys(const std::string& dir);

}  // namespace ppe
