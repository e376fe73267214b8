// Certificate: a CURVE key pair with metadata, stored in the ZPL text format of CZMQ's zcert
// (and pyzmq's zmq.auth): NAME.key holds the public half, NAME.key_secret both halves.
#pragma once

#include <map>
#include <string>

#include "common/status.h"

namespace ppe {

struct Certificate {
  std::string public_key;  // Z85, 40 characters
  std::string secret_key;  // Z85, 40 characters; empty when loaded from a public file
  std::map<std::string, std::string> metadata;  // name, role, county

  std::string Meta(const std::string& key) const {
    auto it = metadata.find(key);
    return it == metadata.end() ? std::string() : it->second;
  }

  // A fresh key pair from libzmq.
  static Result<Certificate> Generate(std::map<std::string, std::string> metadata);
  static Result<Certificate> Load(const std::string& path);
  // Writes NAME.key (public) and NAME.key_secret (mode 0600) as `base` + ".key" / ".key_secret".
  Status Save(const std::string& base) const;
};

}  // namespace ppe
