#include "web/svg_map.h"

#include <cmath>
#include <cstdio>

#include "web/html.h"

namespace ppe::web {
namespace {

constexpr double kWidth = 640, kHeight = 520, kPad = 36;

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// Keeps the part of `poly` on the side of the bisector of a and b nearer a.
std::vector<Point> ClipNearer(const std::vector<Point>& poly, Point a, Point b) {
  const double nx = b.x - a.x, ny = b.y - a.y;
  const double c = (b.x * b.x + b.y * b.y - a.x * a.x - a.y * a.y) / 2;  // n·p <= c is a's side
  const auto inside = [&](Point p) { return nx * p.x + ny * p.y <= c; };
  std::vector<Point> out;
  for (size_t i = 0; i < poly.size(); ++i) {
    const Point p = poly[i], q = poly[(i + 1) % poly.size()];
    const bool pin = inside(p), qin = inside(q);
    if (pin) out.push_back(p);
    if (pin != qin) {
      const double dp = nx * p.x + ny * p.y - c, dq = nx * q.x + ny * q.y - c;
      const double t = dp / (dp - dq);
      out.push_back({p.x + t * (q.x - p.x), p.y + t * (q.y - p.y)});
    }
  }
  return out;
}

// The area-weighted centre of a convex polygon; `fallback` for a degenerate one.
Point Centroid(const std::vector<Point>& poly, Point fallback) {
  double area = 0, cx = 0, cy = 0;
  for (size_t i = 0; i < poly.size(); ++i) {
    const Point p = poly[i], q = poly[(i + 1) % poly.size()];
    const double cross = p.x * q.y - q.x * p.y;
    area += cross;
    cx += (p.x + q.x) * cross;
    cy += (p.y + q.y) * cross;
  }
  if (std::fabs(area) < 1e-6) return fallback;
  return {cx / (3 * area), cy / (3 * area)};
}

}  // namespace

CoverBand BandOf(std::optional<double> days, const BandEdges& e) {
  if (!days) return CoverBand::kNone;
  if (*days < 1) return CoverBand::kCritical;
  if (*days < e.alert_days) return CoverBand::kLow;
  if (*days < e.target_days) return CoverBand::kWatch;
  return CoverBand::kOk;
}

const char* BandColour(CoverBand band) {
  switch (band) {
    case CoverBand::kCritical: return "#c62828";
    case CoverBand::kLow: return "#ef6c00";
    case CoverBand::kWatch: return "#f9d71c";
    case CoverBand::kOk: return "#43a047";
    case CoverBand::kNone: return "#c9ccd1";
  }
  return "#c9ccd1";
}

const char* BandClass(CoverBand band) {
  switch (band) {
    case CoverBand::kCritical: return "band-critical";
    case CoverBand::kLow: return "band-low";
    case CoverBand::kWatch: return "band-watch";
    case CoverBand::kOk: return "band-ok";
    case CoverBand::kNone: return "band-none";
  }
  return "band-none";
}

std::vector<Point> NearestCell(const std::vector<Point>& sites, size_t i, const std::vector<Point>& box) {
  std::vector<Point> cell = box;
  for (size_t j = 0; j < sites.size() && !cell.empty(); ++j) {
    if (j == i || (sites[j].x == sites[i].x && sites[j].y == sites[i].y)) continue;
    cell = ClipNearer(cell, sites[i], sites[j]);
  }
  return cell;
}

std::string CityMapSvg(Lang lang, const City& city, const CityView& view, const std::string& item,
                       const BandEdges& edges) {
  std::vector<const CountyView*> placed;
  for (const CountyView& c : view.counties) {
    if (c.on_map) placed.push_back(&c);
  }
  if (placed.empty()) return "";
  // Equirectangular, scaled by the cosine of the middle latitude: true shapes at a city's size.
  double min_lat = 90, max_lat = -90, min_lon = 180, max_lon = -180;
  for (const CountyView* c : placed) {
    min_lat = std::min(min_lat, c->lat), max_lat = std::max(max_lat, c->lat);
    min_lon = std::min(min_lon, c->lon), max_lon = std::max(max_lon, c->lon);
  }
  const double k = std::cos((min_lat + max_lat) / 2 * M_PI / 180);
  const double span_x = std::max((max_lon - min_lon) * k, 1e-3), span_y = std::max(max_lat - min_lat, 1e-3);
  const double scale = std::min((kWidth - 2 * kPad) / span_x, (kHeight - 2 * kPad) / span_y);
  const double off_x = (kWidth - span_x * scale) / 2, off_y = (kHeight - span_y * scale) / 2;
  std::vector<Point> seats;
  for (const CountyView* c : placed) {
    seats.push_back({off_x + (c->lon - min_lon) * k * scale, off_y + (max_lat - c->lat) * scale});
  }
  const std::vector<Point> box = {{4, 4}, {kWidth - 4, 4}, {kWidth - 4, kHeight - 4}, {4, kHeight - 4}};
  std::string out = "<svg id=\"city-map\" class=\"map\" viewBox=\"0 0 " + Num(kWidth) + " " + Num(kHeight) +
                    "\" role=\"img\" aria-label=\"" + Esc(Text(lang, Msg::kMapHeading)) +
                    "\" xmlns=\"http://www.w3.org/2000/svg\">\n";
  const bool many = placed.size() > 30;  // a province: names would overlap, the cells say enough
  for (size_t i = 0; i < placed.size(); ++i) {
    const CountyView& c = *placed[i];
    std::optional<double> cover = c.tier1_cover;
    if (!item.empty()) {
      const auto it = c.items.find(item);
      cover = it == c.items.end() ? std::nullopt : it->second.tier1_cover;
    }
    const CoverBand band = BandOf(cover, edges);
    std::string points;
    const std::vector<Point> cell = NearestCell(seats, i, box);
    for (const Point& p : cell) points += Num(p.x) + "," + Num(p.y) + " ";
    // Names go at the middle of the cell: two seats a few km apart would put them on each other.
    const Point label = Centroid(cell, seats[i]);
    const std::string figure = cover ? Format(lang, Msg::kDaysValue, {Days(cover)}) : std::string("–");
    const std::string name = PlaceName(lang, c.name);
    // On the map the English name's first word ("Meilie", not "Meilie District"): the cells of
    // two seats a few km apart are narrow. The title and the tables keep the whole name.
    const std::string label_text = lang == Lang::kEn ? name.substr(0, name.find(' ')) : name;
    out += "<a href=\"/county/" + UrlEncode(c.id) + "\"><g class=\"county " + BandClass(band) + "\" data-county=\"" +
           Esc(c.id) + "\" data-cover=\"" + Days(cover) + "\"><title>" + Esc(name) + ": " + Esc(figure) + "</title>\n<polygon points=\"" + points +
           "\" fill=\"" + BandColour(band) + "\"/>\n<circle cx=\"" + Num(seats[i].x) + "\" cy=\"" + Num(seats[i].y) +
           "\" r=\"3\"/>\n";
    if (!many) {
      out += "<text x=\"" + Num(label.x) + "\" y=\"" + Num(label.y - 4) + "\">" + Esc(label_text) +
             "</text>\n<text class=\"figure\" x=\"" + Num(label.x) + "\" y=\"" + Num(label.y + 12) + "\">" +
             Esc(figure) + "</text>\n";
    }
    out += "</g></a>\n";
  }
  out += "</svg>\n";
  (void)city;
  return out;
}

std::string MapLegend(Lang lang, const BandEdges& e) {
  const std::pair<CoverBand, std::string> rows[] = {
      {CoverBand::kCritical, std::string(Text(lang, Msg::kBandCritical))},
      {CoverBand::kLow, Format(lang, Msg::kBandLow, {Days(e.alert_days)})},
      {CoverBand::kWatch, Format(lang, Msg::kBandWatch, {Days(e.alert_days), Days(e.target_days)})},
      {CoverBand::kOk, Format(lang, Msg::kBandOk, {Days(e.target_days)})},
      {CoverBand::kNone, std::string(Text(lang, Msg::kBandNone))}};
  std::string out = "<ul class=\"legend\" aria-label=\"" + Esc(Text(lang, Msg::kLegend)) + "\">";
  for (const auto& [band, label] : rows) {
    out += "<li class=\"" + std::string(BandClass(band)) + "\"><span class=\"swatch\"></span>" + Esc(label) + "</li>";
  }
  return out + "</ul>\n";
}

}  // namespace ppe::web
