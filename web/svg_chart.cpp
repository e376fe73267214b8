#include "web/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <vector>

#include "web/html.h"

namespace ppe::web {
namespace {

constexpr double kW = 640, kH = 280, kLeft = 48, kRight = 150, kTop = 16, kBottom = 36;
constexpr const char* kColours[] = {"#1565c0", "#c62828", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f"};

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string Stamp(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%m-%d %H:%M", &tm);
  return buf;
}

struct Series {
  std::string item;
  std::vector<std::pair<int64_t, double>> points;
};

}  // namespace

std::string CoverChartSvg(Lang lang, const City& city, const nlohmann::json& history, double target_days,
                          int64_t now_ms) {
  std::vector<Series> series;
  int64_t t0 = INT64_MAX, t1 = now_ms;
  double top = target_days * 1.2;
  if (history.contains("items") && history["items"].is_array()) {
    for (const auto& it : history["items"]) {
      Series s;
      s.item = it.value("item", std::string());
      if (!it.contains("points") || !it["points"].is_array()) continue;
      for (const auto& p : it["points"]) {
        if (!p.contains("days_of_cover") || !p["days_of_cover"].is_number()) continue;
        const int64_t at = p.value("at_ms", int64_t{0});
        const double d = p["days_of_cover"].get<double>();
        s.points.emplace_back(at, d);
        t0 = std::min(t0, at), t1 = std::max(t1, at);
        top = std::max(top, d * 1.1);
      }
      if (!s.points.empty()) series.push_back(std::move(s));
    }
  }
  if (series.empty()) return "";
  if (t1 - t0 < 3600000) {  // less than an hour: an hour's width, the points in its middle
    const int64_t pad = (3600000 - (t1 - t0)) / 2;
    t0 -= pad;
    t1 += pad;
  }
  const double pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;
  const auto X = [&](int64_t t) { return kLeft + (static_cast<double>(t - t0) / static_cast<double>(t1 - t0)) * pw; };
  const auto Y = [&](double d) { return kTop + ph - std::min(d, top) / top * ph; };
  std::string out = "<svg id=\"cover-chart\" class=\"chart\" viewBox=\"0 0 " + Num(kW) + " " + Num(kH) +
                    "\" role=\"img\" aria-label=\"" + Esc(Text(lang, Msg::kChartHeading)) +
                    "\" xmlns=\"http://www.w3.org/2000/svg\">\n";
  // Axes and gridlines: days on the left, time along the bottom.
  const double step = top > 40 ? 10 : top > 15 ? 5 : top > 6 ? 2 : 1;
  for (double d = 0; d <= top; d += step) {
    out += "<line class=\"grid\" x1=\"" + Num(kLeft) + "\" x2=\"" + Num(kLeft + pw) + "\" y1=\"" + Num(Y(d)) +
           "\" y2=\"" + Num(Y(d)) + "\"/><text class=\"tick\" x=\"" + Num(kLeft - 6) + "\" y=\"" + Num(Y(d) + 4) +
           "\" text-anchor=\"end\">" + Num(d) + "</text>\n";
  }
  for (int i = 0; i <= 3; ++i) {
    const int64_t t = t0 + (t1 - t0) * i / 3;
    out += "<text class=\"tick\" x=\"" + Num(X(t)) + "\" y=\"" + Num(kH - 12) + "\" text-anchor=\"middle\">" +
           Esc(Stamp(t)) + "</text>\n";
  }
  out += "<line class=\"target\" x1=\"" + Num(kLeft) + "\" x2=\"" + Num(kLeft + pw) + "\" y1=\"" + Num(Y(target_days)) +
         "\" y2=\"" + Num(Y(target_days)) + "\"/><text class=\"tick\" x=\"" + Num(kLeft + 4) + "\" y=\"" +
         Num(Y(target_days) - 4) + "\">" + Esc(Format(lang, Msg::kTargetLine, {Num(target_days)})) + "</text>\n";
  for (size_t i = 0; i < series.size(); ++i) {
    const Series& s = series[i];
    const char* colour = kColours[i % std::size(kColours)];
    // A step line: the level holds until the next count or delivery, and up to now.
    std::string path = "M" + Num(X(s.points[0].first)) + "," + Num(Y(s.points[0].second));
    for (size_t j = 1; j < s.points.size(); ++j) {
      path += " H" + Num(X(s.points[j].first)) + " V" + Num(Y(s.points[j].second));
    }
    path += " H" + Num(X(std::max(now_ms, s.points.back().first)));
    out += "<path class=\"series\" data-item=\"" + Esc(s.item) + "\" d=\"" + path + "\" stroke=\"" + colour +
           "\" fill=\"none\" stroke-width=\"2\"/>\n";
    for (const auto& [t, d] : s.points) {
      out += "<circle cx=\"" + Num(X(t)) + "\" cy=\"" + Num(Y(d)) + "\" r=\"2.5\" fill=\"" + colour + "\"><title>" +
             Esc(Stamp(t)) + ": " + Esc(Format(lang, Msg::kDaysValue, {Days(d)})) + "</title></circle>\n";
    }
    const double ly = kTop + 14 + 18 * static_cast<double>(i + 1);
    out += "<rect x=\"" + Num(kLeft + pw + 8) + "\" y=\"" + Num(ly - 9) + "\" width=\"12\" height=\"4\" fill=\"" + colour +
           "\"/><text class=\"tick\" x=\"" + Num(kLeft + pw + 24) + "\" y=\"" + Num(ly - 4) + "\">" +
           Esc(ItemName(lang, city, s.item)) + "</text>\n";
  }
  return out + "</svg>\n";
}

}  // namespace ppe::web
