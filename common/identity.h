// Identity: who sent a message, as the broker's key folder says; never a field of the message.
// A node's county bounds what it may report and which orders it may act on.
#pragma once

#include <string>

namespace ppe {

enum class Role { kNode, kCoordinator, kViewer };

struct Identity {
  std::string name;    // certificate metadata `name`; the ZAP User-Id
  Role role = Role::kViewer;
  std::string county;  // role kNode only: the county it reports for ("city" for the reserve)
};

const char* RoleName(Role role);

}  // namespace ppe
