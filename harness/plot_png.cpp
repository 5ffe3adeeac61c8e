// PNG renderer through OpenCV: the same layout as the SVG, drawn with lines and Hershey text.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>

#include "common/error.h"
#include "common/files.h"
#include "harness/plot.h"

namespace diffbench {

static cv::Scalar bgr(const std::string& hex) {
  int r = std::stoi(hex.substr(1, 2), nullptr, 16), g = std::stoi(hex.substr(3, 2), nullptr, 16),
      b = std::stoi(hex.substr(5, 2), nullptr, 16);
  return cv::Scalar(b, g, r);
}

void write_png(const std::vector<PlotSeries>& series, const PlotSpec& spec, const std::string& path) {
  PlotLayout l = layout_plot(series, spec);
  cv::Mat img(l.height, l.width, CV_8UC3, cv::Scalar(255, 255, 255));
  auto pt = [](double x, double y) { return cv::Point(static_cast<int>(std::lround(x)), static_cast<int>(std::lround(y))); };
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  const cv::Scalar grid(224, 224, 224), black(0, 0, 0);
  double x0 = l.left, x1 = l.width - l.right, y0 = l.height - l.bottom, y1 = l.top;
  auto centred = [&](const std::string& text, double x, double y, double scale) {
    int base = 0;
    cv::Size size = cv::getTextSize(text, font, scale, 1, &base);
    cv::putText(img, text, pt(x - size.width / 2.0, y), font, scale, black, 1, cv::LINE_AA);
  };
  for (double t : l.x_ticks) {
    double v = l.log_x ? std::pow(10, t) : t, x = l.px(v);
    cv::line(img, pt(x, y0), pt(x, y1), grid, 1);
    centred(tick_label(v), x, y0 + 18, 0.4);
  }
  for (double t : l.y_ticks) {
    double y = l.py(t);
    cv::line(img, pt(x0, y), pt(x1, y), grid, 1);
    int base = 0;
    cv::Size size = cv::getTextSize(tick_label(t), font, 0.4, 1, &base);
    cv::putText(img, tick_label(t), pt(x0 - 6 - size.width, y + 4), font, 0.4, black, 1, cv::LINE_AA);
  }
  cv::rectangle(img, pt(x0, y1), pt(x1, y0), black, 1);
  centred(spec.title.empty() ? spec.y + " vs " + spec.x : spec.title, (x0 + x1) / 2, 24, 0.55);
  centred(spec.x, (x0 + x1) / 2, l.height - 10, 0.45);
  cv::putText(img, spec.y, pt(4, y1 - 8), font, 0.45, black, 1, cv::LINE_AA);
  for (size_t i = 0; i < series.size(); ++i) {
    cv::Scalar c = bgr(series_colour(i));
    const auto& p = series[i].points;
    for (size_t k = 0; k + 1 < p.size(); ++k)
      cv::line(img, pt(l.px(p[k].first), l.py(p[k].second)), pt(l.px(p[k + 1].first), l.py(p[k + 1].second)), c, 2, cv::LINE_AA);
    for (const auto& [x, y] : p) cv::circle(img, pt(l.px(x), l.py(y)), 3, c, cv::FILLED, cv::LINE_AA);
    double ly = y1 + 10 + 18 * static_cast<double>(i);
    cv::line(img, pt(x1 + 12, ly), pt(x1 + 32, ly), c, 2, cv::LINE_AA);
    cv::putText(img, series[i].name, pt(x1 + 38, ly + 4), font, 0.4, black, 1, cv::LINE_AA);
  }
  // Encoded in memory: OpenCV picks the codec by extension, which a temp file name lacks.
  std::vector<uchar> bytes;
  if (!cv::imencode(".png", img, bytes)) fail(path + ": cannot encode the PNG");
  write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

}  // namespace diffbench
