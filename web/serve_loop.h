// ServeLoop: how ppe-web and ppe-node web run their page server as a program: the login their
// settings ask for, SIGINT and SIGTERM stopping the server in order, and the address they print.
#pragma once

#include <signal.h>

#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "web/session_login.h"
#include "web/web_config.h"

namespace ppe::web {

// The logins `settings` asks for (null when none: loopback and login auto), their users read.
// `add_user` is the command that adds one, for the warning when the users file names nobody.
Result<std::unique_ptr<SessionLogin>> LoginFor(const PageSettings& settings, const std::string& add_user);

// Blocks SIGINT and SIGTERM for this thread and every thread started after (call before any), so
// one thread of ours takes them; ignores SIGPIPE (a browser that went away).
sigset_t BlockStopSignals();

// Runs `run` (the server's listen loop) until it returns, calling `stop` when SIGINT or SIGTERM
// arrives; returns what `run` returned.
bool ServeUntilStopped(const sigset_t& stop_signals, const std::function<bool()>& run,
                       const std::function<void()>& stop);

// "http://127.0.0.1:7702/", "https://[::1]:7702/": where the page is, as the program prints it.
std::string PageAddress(const PageSettings& settings, int port);

}  // namespace ppe::web
