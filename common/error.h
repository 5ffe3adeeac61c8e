// The one error type diffbench throws for bad input: its message is a single line that names
// the file (or flag, or JSON path), what is wrong and what was expected. The CLI prints it as
// "diffbench: error: <message>" and exits non-zero; no stack trace ever reaches the user.
#pragma once
#include <stdexcept>
#include <string>

namespace diffbench {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

[[noreturn]] inline void fail(const std::string& message) { throw Error(message); }

}  // namespace diffbench
