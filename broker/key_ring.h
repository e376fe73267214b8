// KeyRing: the keys that may connect (the public certificates in the broker's key folder) and the
// identity each stands for. Rebuilt whole on reload, so a removed key is gone at once.
#pragma once

#include <map>
#include <string>

#include "common/identity.h"
#include "common/status.h"

namespace ppe {

class KeyRing {

 public:
  // Loads every NAME.key in `folder` except `own_public_key`'s; a malformed file is an error.
  static Result<KeyRing> Load(const std::string& folder, const std::string& own_public_key);

  // nullptr when the key (Z85) or name is not (or no longer) known.
  const Identity* ByKey(const std::string& public_key) const;
  const Identity* ByName(const std::string& name) const;
  // The public key a name holds (PLAIN mode checks it as the password); empty when unknown.
  std::string KeyOf(const std::string& name) const;
  size_t size() const { return by_key_.size(); }

 private:
  std::map<std::string, Identity> by_key_;
  std::map<std::string, std::string> key_of_name_;
};

}  // namespace ppe
