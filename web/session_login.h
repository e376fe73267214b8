// SessionLogin: who may see the pages when a login is needed: users and their libsodium
// crypto_pwhash_str hashes (the users file, name:hash lines), sessions as random tokens held in
// memory only (a restart logs everyone out), and the session cookie's flags.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/status.h"

namespace ppe::web {

inline constexpr const char* kSessionCookie = "ppe_session";

// A password's crypto_pwhash_str hash (Argon2id, libsodium's interactive limits).
Result<std::string> HashPassword(const std::string& password);
// Adds or replaces `user` in `users_file` (created 0600); names are 1-64 of a-z A-Z 0-9 . _ -.
Status SetUserPassword(const std::string& users_file, const std::string& user, const std::string& password);

// A password from the terminal (not echoed) or from the first line of stdin ('user add').
std::string ReadPassword();

class SessionLogin {
 public:
  static constexpr int64_t kSessionSeconds = 12 * 3600;

  // Reads the users file (missing: nobody can log in, which the start-up message says).
  Status Load(const std::string& users_file);
  size_t user_count() const { return users_.size(); }

  // A new session's token when the password is right; none otherwise (the same answer for an
  // unknown user, after the same work, so names cannot be probed).
  std::optional<std::string> Login(const std::string& user, const std::string& password);
  // The user of a live session; none when the token is unknown or expired.
  std::optional<std::string> UserOf(const std::string& token);
  void Logout(const std::string& token);

  // Set-Cookie values: HttpOnly, SameSite=Strict, Path=/, Secure under TLS.
  static std::string CookieFor(const std::string& token, bool tls);
  static std::string ExpiredCookie(bool tls);
  // The session token from a Cookie header ("" when none).
  static std::string TokenFrom(const std::string& cookie_header);

 private:
  std::map<std::string, std::string> users_;  // name -> hash
  std::mutex mutex_;
  std::mutex hash_mutex_;  // one verification at a time: each takes 64 MB for a moment
  struct Session {
    std::string user;
    std::chrono::steady_clock::time_point expires;
  };
  std::map<std::string, Session> sessions_;
};

}  // namespace ppe::web
