#include "common/progress.h"

#include <unistd.h>

#include <cstdio>

#include "common/log.h"

namespace diffbench {

static std::string format_seconds(double s) {
  char buf[32];
  if (s < 0 || s > 1e7) return "?";
  long t = static_cast<long>(s + 0.5);
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
  else if (t >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%lds", t);
  return buf;
}

Progress::Progress(std::string label, long total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

double Progress::rate() const {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return elapsed > 0 ? (done_ - skipped_) / elapsed : 0.0;
}

void Progress::advance(long n) {
  done_ += n;
  auto now = std::chrono::steady_clock::now();
  if (std::chrono::duration<double>(now - last_draw_).count() >= 0.5 || done_ >= total_) {
    last_draw_ = now;
    draw(false);
  }
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  draw(true);
}

void Progress::draw(bool final) {
  if (is_quiet()) return;
  double r = rate();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  char line[256];
  if (final) {
    std::snprintf(line, sizeof line, "%s: %ld %s in %s (%.2f %s/s)", label_.c_str(), done_ - skipped_,
                  unit_.c_str(), format_seconds(elapsed).c_str(), r, unit_.c_str());
    std::fprintf(stderr, "\r%-100s\n", line);
  } else {
    double eta = r > 0 ? (total_ - done_) / r : -1;
    std::snprintf(line, sizeof line, "%s: %ld/%ld %s, %.2f %s/s, ETA %s%s%s", label_.c_str(), done_,
                  total_, unit_.c_str(), r, unit_.c_str(), format_seconds(eta).c_str(),
                  note_.empty() ? "" : ", ", note_.c_str());
    // A terminal gets a redrawn line; a log file gets one line per update.
    if (::isatty(2)) std::fprintf(stderr, "\r%-100s", line);
    else std::fprintf(stderr, "%s\n", line);
  }
  std::fflush(stderr);
}

}  // namespace diffbench
