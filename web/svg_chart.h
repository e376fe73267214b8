// SvgChart: a site's days of cover over time as an SVG line chart (one step line per item, the
// target as a dashed line, dated axes), from the broker's site_history reply; no script needed.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/city.h"
#include "web/messages.h"

namespace ppe::web {

// `history` is the site_history reply; "" when no item has a point with a cover to draw.
std::string CoverChartSvg(Lang lang, const City& city, const nlohmann::json& history, double target_days,
                          int64_t now_ms);

}  // namespace ppe::web
