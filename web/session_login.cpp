#include "web/session_login.h"

#include <sodium.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

namespace ppe::web {

std::string ReadPassword() {
  const bool tty = isatty(STDIN_FILENO);
  termios old{};
  if (tty) {
    std::cerr << "password: " << std::flush;
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string password;
  std::getline(std::cin, password);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  return password;
}

namespace {

bool PlainName(const std::string& name) {
  return !name.empty() && name.size() <= 64 &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == std::string::npos;
}

Status InitSodium() {
  if (sodium_init() < 0) return Status::Error("libsodium cannot start");
  return Status::Ok();
}

}  // namespace

Result<std::string> HashPassword(const std::string& password) {
  PPE_RETURN_IF_ERROR(InitSodium());
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(hash, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return Status::Error("not enough memory to hash the password");
  }
  return std::string(hash);
}

Status SetUserPassword(const std::string& users_file, const std::string& user, const std::string& password) {
  if (!PlainName(user)) return Status::Error("user name '" + user + "' must be 1-64 of a-z, A-Z, 0-9, '.', '_', '-'");
  if (password.size() < 8) return Status::Error("the password must have at least 8 characters");
  auto hash = HashPassword(password);
  if (!hash.ok()) return hash.status();
  std::vector<std::string> lines;
  {
    std::ifstream in(users_file);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(user + ":", 0) != 0 && !line.empty()) lines.push_back(line);
    }
  }
  lines.push_back(user + ":" + *hash);
  const mode_t old = umask(077);
  std::ofstream out(users_file, std::ios::trunc);
  umask(old);
  for (const std::string& l : lines) out << l << "\n";
  out.close();
  if (!out) return Status::Error("cannot write '" + users_file + "'");
  chmod(users_file.c_str(), 0600);
  return Status::Ok();
}

Status SessionLogin::Load(const std::string& users_file) {
  PPE_RETURN_IF_ERROR(InitSodium());
  users_.clear();
  std::ifstream in(users_file);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos || !PlainName(line.substr(0, colon)) ||
        line.compare(colon + 1, 10, "$argon2id$") != 0) {
      return Status::Error(users_file + ":" + std::to_string(number) +
                           ": not 'name:hash' (write it with 'ppe-web --config web.yaml user add NAME')");
    }
    users_[line.substr(0, colon)] = line.substr(colon + 1);
  }
  return Status::Ok();
}

std::optional<std::string> SessionLogin::Login(const std::string& user, const std::string& password) {
  // An unknown user costs a verification too, against a hash no password matches.
  static const std::string decoy = [] {
    auto h = HashPassword("decoy: no one's password");
    return h.ok() ? *h : std::string();
  }();
  const auto it = users_.find(user);
  const std::string& hash = it == users_.end() ? decoy : it->second;
  bool right;
  {
    std::lock_guard lock(hash_mutex_);
    right = !hash.empty() && crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
  }
  if (!right || it == users_.end()) return std::nullopt;
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  char hex[sizeof raw * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  for (auto s = sessions_.begin(); s != sessions_.end();) {  // forget the expired ones
    s = s->second.expires < now ? sessions_.erase(s) : std::next(s);
  }
  sessions_[hex] = {user, now + std::chrono::seconds(kSessionSeconds)};
  return std::string(hex);
}

std::optional<std::string> SessionLogin::UserOf(const std::string& token) {
  if (token.empty()) return std::nullopt;
  std::lock_guard lock(mutex_);
  const auto it = sessions_.find(token);
  if (it == sessions_.end()) return std::nullopt;
  if (it->second.expires < std::chrono::steady_clock::now()) {
    sessions_.erase(it);
    return std::nullopt;
  }
  return it->second.user;
}

void SessionLogin::Logout(const std::string& token) {
  std::lock_guard lock(mutex_);
  sessions_.erase(token);
}

std::string SessionLogin::CookieFor(const std::string& token, bool tls) {
  return std::string(kSessionCookie) + "=" + token + "; Path=/; Max-Age=" + std::to_string(kSessionSeconds) +
         "; HttpOnly; SameSite=Strict" + (tls ? "; Secure" : "");
}

std::string SessionLogin::ExpiredCookie(bool tls) {
  return std::string(kSessionCookie) + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" + (tls ? "; Secure" : "");
}

std::string SessionLogin::TokenFrom(const std::string& cookie_header) {
  const std::string key = std::string(kSessionCookie) + "=";
  size_t at = 0;
  while (at < cookie_header.size()) {
    while (at < cookie_header.size() && (cookie_header[at] == ' ' || cookie_header[at] == ';')) ++at;
    const size_t end = cookie_header.find(';', at);
    const std::string part = cookie_header.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (part.rfind(key, 0) == 0) return part.substr(key.size());
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return "";
}

}  // namespace ppe::web
