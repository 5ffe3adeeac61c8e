// Plot data and axes: points from results, nice tick values, data-to-pixel mapping.
#include "harness/plot.h"

#include <cmath>
#include <cstdio>
#include <map>

#include "common/error.h"
#include "common/files.h"
#include "harness/result.h"

namespace diffbench {

using nlohmann::json;

static std::optional<double> point_value(const json& point, const json& result, const std::string& key) {
  if (point.is_object() && point.contains(key) && point[key].is_number()) return point[key].get<double>();
  return result_value(result, key);
}

std::vector<PlotSeries> collect_series(const std::vector<json>& results, const PlotSpec& spec) {
  std::vector<PlotSeries> series;
  std::map<std::string, size_t> index;
  auto add = [&](const std::string& name, double x, double y) {
    if (!index.count(name)) {
      index[name] = series.size();
      series.push_back({name, {}});
    }
    series[index[name]].points.push_back({x, y});
  };
  for (const auto& r : results) {
    std::string name = result_text(r, spec.series).value_or(r.value("run_id", std::string("?")));
    if (r.value("kind", std::string()) == "profile" && r.contains("profile") && r["profile"].contains("points")) {
      for (const auto& p : r["profile"]["points"]) {
        auto x = point_value(p, r, spec.x), y = point_value(p, r, spec.y);
        if (x && y) add(name, *x, *y);
      }
      continue;
    }
    auto x = result_value(r, spec.x), y = result_value(r, spec.y);
    if (x && y) add(name, *x, *y);
  }
  if (series.empty()) fail("plot: no result has both \"" + spec.x + "\" and \"" + spec.y + "\"");
  for (auto& s : series) std::sort(s.points.begin(), s.points.end());
  return series;
}

// Ticks at 1, 2 or 5 times a power of ten, about five per axis.
static std::vector<double> nice_ticks(double& lo, double& hi) {
  if (hi <= lo) {
    double pad = lo == 0 ? 1 : std::fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  double raw = (hi - lo) / 5;
  double mag = std::pow(10, std::floor(std::log10(raw)));
  double step = mag * (raw / mag < 1.5 ? 1 : raw / mag < 3.5 ? 2 : raw / mag < 7.5 ? 5 : 10);
  lo = std::floor(lo / step + 1e-9) * step;
  hi = std::ceil(hi / step - 1e-9) * step;
  std::vector<double> ticks;
  for (double v = lo; v <= hi + step * 1e-6; v += step) ticks.push_back(std::fabs(v) < step * 1e-9 ? 0 : v);
  return ticks;
}

PlotLayout layout_plot(const std::vector<PlotSeries>& series, const PlotSpec& spec, int width, int height) {
  PlotLayout l;
  l.width = width;
  l.height = height;
  l.log_x = spec.log_x;
  bool first = true;
  for (const auto& s : series)
    for (const auto& [x, y] : s.points) {
      if (spec.log_x && x <= 0) fail("plot: --log-x needs positive x values, got " + tick_label(x));
      double xv = spec.log_x ? std::log10(x) : x;
      if (first) l.x_min = l.x_max = xv, l.y_min = l.y_max = y, first = false;
      l.x_min = std::min(l.x_min, xv), l.x_max = std::max(l.x_max, xv);
      l.y_min = std::min(l.y_min, y), l.y_max = std::max(l.y_max, y);
    }
  if (spec.log_x) {
    l.x_min = std::floor(l.x_min);
    l.x_max = std::max(std::ceil(l.x_max), l.x_min + 1);
    for (double e = l.x_min; e <= l.x_max; e += 1) l.x_ticks.push_back(e);
  } else {
    l.x_ticks = nice_ticks(l.x_min, l.x_max);
  }
  l.y_ticks = nice_ticks(l.y_min, l.y_max);
  return l;
}

double PlotLayout::px(double x) const {
  double v = log_x ? std::log10(x) : x;
  return left + (v - x_min) / (x_max - x_min) * (width - left - right);
}

double PlotLayout::py(double y) const { return height - bottom - (y - y_min) / (y_max - y_min) * (height - top - bottom); }

std::string tick_label(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string series_colour(size_t index) {
  static const char* palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return palette[index % 10];
}

void write_plot(const std::vector<PlotSeries>& series, const PlotSpec& spec, const std::string& path) {
  auto ends_with = [&](const std::string& ext) {
    return path.size() >= ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
  };
  if (ends_with(".svg"))
    write_file_atomic(path, render_svg(series, spec));
  else if (ends_with(".png"))
    write_png(series, spec, path);
  else
    fail("--out " + path + ": expected a file name ending in .svg or .png");
}

}  // namespace diffbench
