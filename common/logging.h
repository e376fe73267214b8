// Logging: one spdlog logger per process, to stderr and optionally a file, at a chosen level.
// Set up once at start; afterwards spdlog's default logger is safe to use from anywhere.
#pragma once

#include <string>

#include "common/status.h"

namespace ppe {

Status SetUpLogging(const std::string& process, const std::string& file, const std::string& level);

}  // namespace ppe
