#include "common/certificate.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <fstream>
#include <sstream>

namespace ppe {
namespace {

std::string Unquote(std::string value) {
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
      value.back() == value.front()) {
    return value.substr(1, value.size() - 2);
  }
  return value;
}

std::string Trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  const size_t end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

std::string Render(const Certificate& cert, bool with_secret) {
  std::ostringstream out;
  out << "#   ZeroMQ CURVE " << (with_secret ? "**Secret** " : "Public ") << "Certificate\n";
  out << (with_secret ? "#   Keep this file private: it proves the holder's identity.\n"
                      : "#   The public half of a PPE service key; safe to share.\n");
  out << "\nmetadata\n";
  for (const auto& [key, value] : cert.metadata) out << "    " << key << " = \"" << value << "\"\n";
  out << "curve\n";
  out << "    public-key = \"" << cert.public_key << "\"\n";
  if (with_secret) out << "    secret-key = \"" << cert.secret_key << "\"\n";
  return out.str();
}

// Created with its final mode, so a secret is never readable by others, even for a moment.
Status WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0) return Status::Error("cannot write '" + path + "'");
  fchmod(fd, mode);
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return written ? Status::Ok() : Status::Error("cannot write '" + path + "'");
}

}  // namespace

Result<Certificate> Certificate::Generate(std::map<std::string, std::string> metadata) {
  char public_key[41];
  char secret_key[41];
  if (zmq_curve_keypair(public_key, secret_key) != 0) {
    return Status::Error("libzmq cannot generate CURVE keys (built without CURVE?)");
  }
  Certificate cert;
  cert.public_key = public_key;
  cert.secret_key = secret_key;
  cert.metadata = std::move(metadata);
  return cert;
}

Result<Certificate> Certificate::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::Error("cannot read certificate '" + path + "'");
  Certificate cert;
  std::string section;
  std::string line;
  while (std::getline(in, line)) {
    const std::string trimmed = Trim(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    if (line[0] != ' ' && line[0] != '\t') {
      section = trimmed;
      continue;
    }
    const size_t eq = trimmed.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = Trim(trimmed.substr(0, eq));
    const std::string value = Unquote(Trim(trimmed.substr(eq + 1)));
    if (section == "metadata") {
      cert.metadata[key] = value;
    } else if (section == "curve" && key == "public-key") {
      cert.public_key = value;
    } else if (section == "curve" && key == "secret-key") {
      cert.secret_key = value;
    }
  }
  if (cert.public_key.size() != 40) {
    return Status::Error("certificate '" + path + "' has no valid public-key");
  }
  if (!cert.secret_key.empty() && cert.secret_key.size() != 40) {
    return Status::Error("certificate '" + path + "' has an invalid secret-key");
  }
  return cert;
}

Status Certificate::Save(const std::string& base) const {
  // The public half is no secret, but it is 0600 too: one rule for everything the programs write
  // (docs/security.md), and the key folder, the broker's list of who may connect, is 0700 anyway.
  PPE_RETURN_IF_ERROR(WriteFile(base + ".key", Render(*this, false), 0600));
  return WriteFile(base + ".key_secret", Render(*this, true), 0600);
}

}  // namespace ppe
