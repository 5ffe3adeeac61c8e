#include "common/json_file.h"

#include <algorithm>

#include "common/error.h"
#include "common/files.h"

namespace diffbench {

// Deepest [ / { nesting of text, counting only brackets outside strings.
static int max_nesting(const std::string& text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

nlohmann::json parse_json(const std::string& text, const std::string& what) {
  if (max_nesting(text) > kMaxJsonDepth)
    fail(what + ": not valid JSON: nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    // nlohmann's messages open with an id such as "[json.exception.parse_error.101] ": drop it.
    std::string reason = e.what();
    if (!reason.empty() && reason[0] == '[' && reason.find("] ") != std::string::npos)
      reason = reason.substr(reason.find("] ") + 2);
    fail(what + ": not valid JSON: " + reason);
  }
}

nlohmann::json read_json_file(const std::string& path) { return parse_json(read_file(path), path); }

}  // namespace diffbench
