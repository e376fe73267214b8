// DeploymentWriter: `ppe-ctl init`: from a city file, a runnable deployment folder: configs for the
// broker, coordinator, viewer and every node, and a fresh CURVE certificate for each.
#pragma once

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

}  // namespace ppe
