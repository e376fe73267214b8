#include "web/serve_loop.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <thread>

namespace ppe::web {

Result<std::unique_ptr<SessionLogin>> LoginFor(const PageSettings& settings, const std::string& add_user) {
  std::unique_ptr<SessionLogin> login;
  if (!settings.NeedsLogin()) return login;
  login = std::make_unique<SessionLogin>();
  if (auto s = login->Load(settings.users_file); !s.ok()) return s;
  if (login->user_count() == 0) {
    spdlog::warn("every page needs a login, and '{}' names no user: add one with '{}'", settings.users_file, add_user);
  }
  return login;
}

sigset_t BlockStopSignals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return stop_signals;
}

bool ServeUntilStopped(const sigset_t& stop_signals, const std::function<bool()>& run,
                       const std::function<void()>& stop) {
  std::thread stopper([&stop, stop_signals] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    stop();
  });
  const bool ok = run();
  if (stopper.joinable()) {
    pthread_kill(stopper.native_handle(), SIGTERM);  // released by its own sigwait when run ended otherwise
    stopper.join();
  }
  return ok;
}

std::string PageAddress(const PageSettings& settings, int port) {
  const std::string& host = settings.listen.host;
  return std::string(settings.Tls() ? "https" : "http") + "://" +
         (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port) + "/";
}

}  // namespace ppe::web
