// Line plots of results: one series per model (or per result for profiles), points sorted by x.
// Collecting the points and laying out the axes is here; plot_svg.cpp and plot_png.cpp draw.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace diffbench {

struct PlotSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), sorted by x
};

struct PlotSpec {
  std::string x = "nfe", y = "fid";
  std::string series = "model";  // result_text key naming each series
  std::string title;             // "" = "<y> vs <x>"
  bool log_x = false;
};

// Run results give one point each (x and y by result_value); profile results ("kind": "profile")
// give one point per entry of profile.points, looked up in the point first. Results lacking x or
// y are skipped. Error when no point remains.
std::vector<PlotSeries> collect_series(const std::vector<nlohmann::json>& results, const PlotSpec& spec);

// Axes shared by the renderers: data range padded to "nice" ticks, and the mapping to pixels.
struct PlotLayout {
  int width = 640, height = 420;
  double left = 70, right = 150, top = 40, bottom = 50;  // margins; the legend sits right
  double x_min = 0, x_max = 1, y_min = 0, y_max = 1;
  bool log_x = false;
  std::vector<double> x_ticks, y_ticks;
  double px(double x) const;
  double py(double y) const;
};
PlotLayout layout_plot(const std::vector<PlotSeries>& series, const PlotSpec& spec, int width = 640, int height = 420);
std::string tick_label(double v);
// A distinct colour per series index, as "#rrggbb".
std::string series_colour(size_t index);

std::string render_svg(const std::vector<PlotSeries>& series, const PlotSpec& spec);
void write_png(const std::vector<PlotSeries>& series, const PlotSpec& spec, const std::string& path);
// .svg or .png by the extension of `path`; Error otherwise. Written atomically.
void write_plot(const std::vector<PlotSeries>& series, const PlotSpec& spec, const std::string& path);

}  // namespace diffbench
