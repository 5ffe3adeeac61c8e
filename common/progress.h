// Progress of long work on stderr: done/total, rate and ETA, redrawn at most a few times a second.
#pragma once
#include <chrono>
#include <string>

namespace diffbench {

class Progress {
 public:
  Progress(std::string label, long total, std::string unit = "img");
  void advance(long n);  // n more items done
  // Items done before this process started (a resumed run): counted as done, left out of the rate.
  void skip(long n) { done_ += n; skipped_ += n; }
  void set_note(std::string note) { note_ = std::move(note); }  // e.g. "loss 0.123", shown after the rate
  void finish();         // final line with the overall rate
  double rate() const;   // items per second so far
 private:
  void draw(bool final);
  std::string label_, unit_, note_;
  long total_, done_ = 0, skipped_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool finished_ = false;
};

}  // namespace diffbench
