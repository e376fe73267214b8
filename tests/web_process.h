// WebProcess: a page server under test (ppe-web, or ppe-node web) started on a port of its own
// choosing (--listen 127.0.0.1:0), found in what it prints; SIGTERM (then SIGKILL) when the object goes.
#pragma once

#include <httplib.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace ppe::testing {

class WebProcess {
 public:
  // argv: the program and its arguments; `banner`: what it prints before "://127.0.0.1:PORT/"
  // ("ppe-web: http", "ppe-node web: http"). Waits up to 15 s for it.
  WebProcess(const std::vector<std::string>& argv, const std::string& log, const std::string& banner);
  // ppe-web --config CONFIG --listen 127.0.0.1:0
  WebProcess(const std::string& config, const std::string& log);
  ~WebProcess();
  WebProcess(const WebProcess&) = delete;
  WebProcess& operator=(const WebProcess&) = delete;

  int port() const { return port_; }
  std::string log() const;
  httplib::Client Client() const;

 private:
  std::string log_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace ppe::testing
