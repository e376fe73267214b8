// ppe-web's guards without sockets: which Host headers are answered (DNS rebinding), listen
// addresses and web.yaml, password hashes, sessions and the cookie's flags.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "web/host_check.h"
#include "web/session_login.h"
#include "web/web_config.h"

namespace ppe::web {
namespace {

class TempFolder {
 public:
  TempFolder() {
    char pattern[] = "/tmp/ppe-web-test-XXXXXX";
    path_ = mkdtemp(pattern);
  }
  ~TempFolder() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(WebHostCheck, OnlyLoopbackTheListenNameListedNamesAndAddressesAreAnswered) {
  const HostCheck check("127.0.0.1", {"ppe.sanming.example"});
  for (const char* ok : {"localhost", "localhost:7702", "LOCALHOST:7702", "localhost.:80", "127.0.0.1:7702",
                         "[::1]:7702", "ppe.sanming.example", "PPE.Sanming.Example:443", "10.1.2.3:7702"}) {
    EXPECT_TRUE(check.Allowed(ok)) << ok;
  }
  // A rebinding attacker's own name pointed at 127.0.0.1 is refused, as is no Host at all.
  for (const char* bad : {"", "evil.example.com", "evil.example.com:7702", "localhost.evil.example", "127.0.0.1.nip.io",
                          "[::1", "sanming.example"}) {
    EXPECT_FALSE(check.Allowed(bad)) << bad;
  }
  EXPECT_EQ(HostCheck::NameOf("[::1]:80"), "::1");
  EXPECT_EQ(HostCheck::NameOf("Example.ORG:8080"), "example.org");
  EXPECT_TRUE(HostCheck("ppe-host", {}).Allowed("ppe-host:7702"));
  EXPECT_FALSE(HostCheck("0.0.0.0", {}).Allowed("0.0.0.0.example"));
}

TEST(WebConfigFile, ListenAddressesAndWebYaml) {
  EXPECT_EQ(ParseListen("127.0.0.1:7702")->port, 7702);
  EXPECT_EQ(ParseListen("[::1]:8080")->host, "::1");
  EXPECT_EQ(ParseListen("*:80")->host, "0.0.0.0");
  EXPECT_EQ(ParseListen("127.0.0.1:0")->port, 0);
  for (const char* bad : {"", "7702", ":7702", "host:", "host:99999", "host:12a", "[::1]7702"}) {
    EXPECT_FALSE(ParseListen(bad).ok()) << bad;
  }
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));

  TempFolder dir;
  const std::string base =
      "name: web\nrole: viewer\ncity: sanming.yaml\nbroker: tcp://127.0.0.1:7700\nbroker_key: keys/broker.key\n"
      "key: keys/web.key_secret\n";
  Write(dir.File("web.yaml"), base + "listen: 127.0.0.1:7702\nlogin: auto\nusers: web-users\n");
  auto c = WebConfig::Load(dir.File("web.yaml"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->listen.port, 7702);
  EXPECT_FALSE(c->NeedsLogin());  // loopback, login: auto
  EXPECT_EQ(c->users_file, dir.File("web-users"));
  EXPECT_EQ(c->client.city, dir.File("sanming.yaml"));
  EXPECT_FALSE(c->Tls());
  Write(dir.File("web.yaml"), base + "listen: 0.0.0.0:7702\n");
  EXPECT_TRUE(WebConfig::Load(dir.File("web.yaml"))->NeedsLogin());  // beyond loopback: always a login
  Write(dir.File("web.yaml"), base + "login: always\ntls_cert: c.pem\ntls_key: k.pem\nhosts: [a.example, b.example]\n");
  c = WebConfig::Load(dir.File("web.yaml"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->NeedsLogin());
  EXPECT_TRUE(c->Tls());
  EXPECT_EQ(c->hosts.size(), 2u);
  Write(dir.File("web.yaml"), base + "login: sometimes\n");
  EXPECT_FALSE(WebConfig::Load(dir.File("web.yaml")).ok());
  Write(dir.File("web.yaml"), base + "tls_cert: c.pem\n");
  EXPECT_FALSE(WebConfig::Load(dir.File("web.yaml")).ok());  // a certificate without its key
}

TEST(WebLogin, PasswordsAreStoredAsArgon2HashesAndOnlyTheRightOneOpensASession) {
  TempFolder dir;
  const std::string users = dir.File("web-users");
  ASSERT_TRUE(SetUserPassword(users, "zhang", "correct horse").ok());
  ASSERT_TRUE(SetUserPassword(users, "li", "another secret").ok());
  ASSERT_TRUE(SetUserPassword(users, "zhang", "battery staple").ok());  // replaced, not added
  EXPECT_FALSE(SetUserPassword(users, "bad name", "long enough").ok());
  EXPECT_FALSE(SetUserPassword(users, "wang", "short").ok());
  std::ifstream in(users);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("battery"), std::string::npos);  // never the password itself
  EXPECT_NE(text.find("zhang:$argon2id$"), std::string::npos);
  EXPECT_EQ(text.find("correct"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(stat(users.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  SessionLogin login;
  ASSERT_TRUE(login.Load(users).ok());
  EXPECT_EQ(login.user_count(), 2u);
  EXPECT_FALSE(login.Login("zhang", "correct horse").has_value());  // the old password
  EXPECT_FALSE(login.Login("nobody", "battery staple").has_value());
  EXPECT_FALSE(login.Login("zhang", "").has_value());
  const auto token = login.Login("zhang", "battery staple");
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->size(), 64u);
  EXPECT_EQ(login.UserOf(*token), "zhang");
  EXPECT_FALSE(login.UserOf("0000").has_value());
  EXPECT_FALSE(login.UserOf("").has_value());
  const auto other = login.Login("li", "another secret");
  ASSERT_TRUE(other.has_value());
  EXPECT_NE(*other, *token);
  login.Logout(*token);
  EXPECT_FALSE(login.UserOf(*token).has_value());
  EXPECT_EQ(login.UserOf(*other), "li");

  Write(dir.File("broken"), "zhang:plaintext\n");
  EXPECT_FALSE(login.Load(dir.File("broken")).ok());
  EXPECT_TRUE(login.Load(dir.File("missing")).ok());  // no file: no one can log in
  EXPECT_EQ(login.user_count(), 0u);
}

TEST(WebLogin, TheSessionCookieIsHttpOnlyAndSameSiteStrict) {
  const std::string cookie = SessionLogin::CookieFor("abc", false);
  EXPECT_EQ(cookie.rfind("ppe_session=abc;", 0), 0u);
  EXPECT_NE(cookie.find("; HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("; SameSite=Strict"), std::string::npos);
  EXPECT_EQ(cookie.find("Secure"), std::string::npos);
  EXPECT_NE(SessionLogin::CookieFor("abc", true).find("; Secure"), std::string::npos);
  EXPECT_NE(SessionLogin::ExpiredCookie(false).find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(SessionLogin::TokenFrom("ppe_lang=en; ppe_session=tok123; other=1"), "tok123");
  EXPECT_EQ(SessionLogin::TokenFrom("ppe_session=only"), "only");
  EXPECT_EQ(SessionLogin::TokenFrom("xppe_session=no"), "");
  EXPECT_EQ(SessionLogin::TokenFrom(""), "");
}

}  // namespace
}  // namespace ppe::web
