// CityWriter: a City written back as a city file, in the format City::Load reads and `ppe-ctl
// init` accepts; loading what it writes gives the same city (names quoted as YAML needs, UTF-8 kept).
#pragma once

#include <string>

#include "common/city.h"

namespace ppe {

std::string CityYaml(const City& city);

}  // namespace ppe
