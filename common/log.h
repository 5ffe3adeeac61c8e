// Messages on stderr: warnings the user must see, and informational lines that --quiet hides.
#pragma once
#include <string>

namespace diffbench {

void set_quiet(bool quiet);
bool is_quiet();
void warn(const std::string& message);  // "diffbench: warning: ..."
void info(const std::string& message);  // plain line, suppressed by --quiet

}  // namespace diffbench
