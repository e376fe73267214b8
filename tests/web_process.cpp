#include "tests/web_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>

#include "tests/cluster.h"

namespace ppe::testing {

WebProcess::WebProcess(const std::vector<std::string>& argv, const std::string& log, const std::string& banner)
    : log_(log) {
  pid_ = fork();
  if (pid_ == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  const std::regex address(banner + "s?://127\\.0\\.0\\.1:([0-9]+)/");
  WaitFor([&] {
    std::smatch m;
    const std::string text = ReadFile(log_);
    if (!std::regex_search(text, m, address)) return false;
    port_ = std::stoi(m[1]);
    return true;
  }, 15000);
}

WebProcess::WebProcess(const std::string& config, const std::string& log)
    : WebProcess({PPE_WEB, "--config", config, "--listen", "127.0.0.1:0"}, log, "ppe-web: http") {}

WebProcess::~WebProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    if (!WaitFor([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, 5000)) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
  }
}

std::string WebProcess::log() const { return ReadFile(log_); }

httplib::Client WebProcess::Client() const {
  httplib::Client c("127.0.0.1", port_);
  c.set_read_timeout(20, 0);
  c.set_connection_timeout(5, 0);
  return c;
}

}  // namespace ppe::testing
