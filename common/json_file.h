// JSON from files and file headers, with one error line naming the file. nlohmann's parser
// recurses once per nesting level, so a file nested a few hundred thousand levels deep would
// overflow the stack and crash; such text is refused before it reaches the parser.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace diffbench {

constexpr int kMaxJsonDepth = 512;  // far beyond any suite, config, result or header we write

// Parses text; on failure throws Error("<what>: not valid JSON: <reason>").
nlohmann::json parse_json(const std::string& text, const std::string& what);
// The whole file, parsed; errors name the path.
nlohmann::json read_json_file(const std::string& path);

}  // namespace diffbench
