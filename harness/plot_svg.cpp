// SVG renderer: axes with ticks and grid, one polyline with markers per series, legend at right.
#include <cmath>
#include <cstdio>
#include <sstream>

#include "harness/plot.h"

namespace diffbench {

static std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

static std::string f1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string render_svg(const std::vector<PlotSeries>& series, const PlotSpec& spec) {
  PlotLayout l = layout_plot(series, spec);
  std::ostringstream o;
  double x0 = l.left, x1 = l.width - l.right, y0 = l.height - l.bottom, y1 = l.top;
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << l.width << "\" height=\"" << l.height
    << "\" viewBox=\"0 0 " << l.width << " " << l.height << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  std::string title = spec.title.empty() ? spec.y + " vs " + spec.x : spec.title;
  o << "<text x=\"" << f1((x0 + x1) / 2) << "\" y=\"24\" text-anchor=\"middle\" font-size=\"14\">" << xml_escape(title) << "</text>\n";
  for (double t : l.x_ticks) {
    double v = l.log_x ? std::pow(10, t) : t, x = l.px(v);
    o << "<line x1=\"" << f1(x) << "\" y1=\"" << f1(y0) << "\" x2=\"" << f1(x) << "\" y2=\"" << f1(y1)
      << "\" stroke=\"#e0e0e0\"/>\n<text x=\"" << f1(x) << "\" y=\"" << f1(y0 + 16)
      << "\" text-anchor=\"middle\">" << tick_label(v) << "</text>\n";
  }
  for (double t : l.y_ticks) {
    double y = l.py(t);
    o << "<line x1=\"" << f1(x0) << "\" y1=\"" << f1(y) << "\" x2=\"" << f1(x1) << "\" y2=\"" << f1(y)
      << "\" stroke=\"#e0e0e0\"/>\n<text x=\"" << f1(x0 - 6) << "\" y=\"" << f1(y + 4)
      << "\" text-anchor=\"end\">" << tick_label(t) << "</text>\n";
  }
  o << "<rect x=\"" << f1(x0) << "\" y=\"" << f1(y1) << "\" width=\"" << f1(x1 - x0) << "\" height=\"" << f1(y0 - y1)
    << "\" fill=\"none\" stroke=\"black\"/>\n";
  o << "<text x=\"" << f1((x0 + x1) / 2) << "\" y=\"" << f1(l.height - 12) << "\" text-anchor=\"middle\">"
    << xml_escape(spec.x) << "</text>\n";
  o << "<text x=\"16\" y=\"" << f1((y0 + y1) / 2) << "\" text-anchor=\"middle\" transform=\"rotate(-90 16 "
    << f1((y0 + y1) / 2) << ")\">" << xml_escape(spec.y) << "</text>\n";
  for (size_t i = 0; i < series.size(); ++i) {
    const auto& s = series[i];
    std::string colour = series_colour(i);
    o << "<g class=\"series\" stroke=\"" << colour << "\" fill=\"" << colour << "\">\n<polyline fill=\"none\" stroke-width=\"2\" points=\"";
    for (size_t k = 0; k < s.points.size(); ++k)
      o << (k ? " " : "") << f1(l.px(s.points[k].first)) << "," << f1(l.py(s.points[k].second));
    o << "\"/>\n";
    for (const auto& [x, y] : s.points)
      o << "<circle cx=\"" << f1(l.px(x)) << "\" cy=\"" << f1(l.py(y)) << "\" r=\"3\"/>\n";
    o << "</g>\n";
    double ly = y1 + 10 + 18 * static_cast<double>(i);
    o << "<line x1=\"" << f1(x1 + 12) << "\" y1=\"" << f1(ly) << "\" x2=\"" << f1(x1 + 32) << "\" y2=\"" << f1(ly)
      << "\" stroke=\"" << colour << "\" stroke-width=\"2\"/>\n<text x=\"" << f1(x1 + 38) << "\" y=\"" << f1(ly + 4)
      << "\">" << xml_escape(s.name) << "</text>\n";
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace diffbench
