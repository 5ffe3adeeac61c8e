#include "common/log.h"

#include <atomic>
#include <iostream>

namespace diffbench {

static std::atomic<bool> g_quiet{false};

void set_quiet(bool quiet) { g_quiet = quiet; }
bool is_quiet() { return g_quiet; }
void warn(const std::string& message) { std::cerr << "diffbench: warning: " << message << "\n"; }
void info(const std::string& message) {
  if (!g_quiet) std::cerr << message << "\n";
}

}  // namespace diffbench
