#include "broker/key_ring.h"

#include <filesystem>

#include "common/certificate.h"

namespace ppe {

Result<KeyRing> KeyRing::Load(const std::string& folder, const std::string& own_public_key) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::is_directory(folder, error)) return Status::Error("key folder '" + folder + "' is missing");
  KeyRing ring;
  for (const auto& entry : fs::directory_iterator(folder, error)) {
    if (entry.path().extension() != ".key") continue;
    auto cert = Certificate::Load(entry.path().string());
    if (!cert.ok()) return cert.status();
    if (cert->public_key == own_public_key) continue;
    Identity id;
    id.name = cert->Meta("name");
    const std::string role = cert->Meta("role");
    if (role == "node") {
      id.role = Role::kNode;
    } else if (role == "coordinator") {
      id.role = Role::kCoordinator;
    } else if (role == "viewer") {
      id.role = Role::kViewer;
    } else {
      return Status::Error("certificate '" + entry.path().string() + "' has unknown role '" + role +
                           "' (node, coordinator or viewer)");
    }
    id.county = cert->Meta("county");
    if (id.name.empty() || (id.role == Role::kNode && id.county.empty())) {
      return Status::Error("certificate '" + entry.path().string() +
                           "' lacks name (and county, for a node) in its metadata");
    }
    if (ring.key_of_name_.count(id.name)) {
      return Status::Error("two certificates in '" + folder + "' are named '" + id.name + "'");
    }
    ring.key_of_name_[id.name] = cert->public_key;
    ring.by_key_[cert->public_key] = std::move(id);
  }
  return ring;
}

const Identity* KeyRing::ByKey(const std::string& public_key) const {
  auto it = by_key_.find(public_key);
  return it == by_key_.end() ? nullptr : &it->second;
}

const Identity* KeyRing::ByName(const std::string& name) const {
  auto it = key_of_name_.find(name);
  return it == key_of_name_.end() ? nullptr : ByKey(it->second);
}

std::string KeyRing::KeyOf(const std::string& name) const {
  auto it = key_of_name_.find(name);
  return it == key_of_name_.end() ? std::string() : it->second;
}

}  // namespace ppe
