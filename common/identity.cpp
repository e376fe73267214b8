#include "common/identity.h"

namespace ppe {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kNode: return "node";
    case Role::kCoordinator: return "coordinator";
    case Role::kViewer: return "viewer";
  }
  return "?";
}

}  // namespace ppe
