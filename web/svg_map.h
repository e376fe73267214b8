// SvgMap: the city as an SVG drawn from the counties' own locations (no tiles, nothing fetched):
// each county a cell of the plane nearest its seat, coloured by the lowest days of cover of its
// tier 1 sites, named in the page's language and linked to its page, with a legend.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/city.h"
#include "web/city_view.h"
#include "web/messages.h"

namespace ppe::web {

// The colour bands of days of cover; the edges are 1 day, the alert level and the policy's target.
enum class CoverBand { kCritical, kLow, kWatch, kOk, kNone };

struct BandEdges {
  double alert_days = 2;   // the broker's alert_cover_days default
  double target_days = 7;  // policy.target_days
};
CoverBand BandOf(std::optional<double> days, const BandEdges& edges);
const char* BandColour(CoverBand band);
const char* BandClass(CoverBand band);  // "band-critical", ... for CSS and tests

struct Point {
  double x = 0, y = 0;
};
// The cell of `sites[i]`: the points of `box` nearer it than any other site (half-plane clipping;
// a cell is a convex polygon).
std::vector<Point> NearestCell(const std::vector<Point>& sites, size_t i, const std::vector<Point>& box);

// `item` empty: the lowest over every item; else that item's tier 1 cover.
std::string CityMapSvg(Lang lang, const City& city, const CityView& view, const std::string& item,
                       const BandEdges& edges);
std::string MapLegend(Lang lang, const BandEdges& edges);

}  // namespace ppe::web
