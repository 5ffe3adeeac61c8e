#include "models/edm_layers_config.h"

#include <cmath>
#include <limits>

#include "common/error.h"

namespace diffbench {

ConfigReader::ConfigReader(const nlohmann::json& config, std::string origin)
    : config_(config), origin_(std::move(origin)) {
  if (!config_.is_object()) fail(origin_ + ": model config must be a JSON object");
}

bool ConfigReader::has(const std::string& key) const { return config_.contains(key) && !config_.at(key).is_null(); }

const nlohmann::json* ConfigReader::find(const std::string& key) {
  used_.insert(key);
  if (!has(key)) return nullptr;
  return &config_.at(key);
}

void ConfigReader::bad(const std::string& key, const std::string& expected) const {
  fail(origin_ + ": key \"" + key + "\" is " + config_.at(key).dump() + ", expected " + expected);
}

int ConfigReader::get_int(const std::string& key, int fallback, int min) {
  const auto* v = find(key);
  if (!v) return fallback;
  const std::string expected = "an integer >= " + std::to_string(min);
  if (!v->is_number_integer() && !(v->is_number() && std::floor(v->get<double>()) == v->get<double>()))
    bad(key, expected);
  const double value = v->get<double>();
  if (value < min || value > std::numeric_limits<int>::max()) bad(key, expected);
  return static_cast<int>(value);
}

int ConfigReader::require_int(const std::string& key) {
  if (!has(key)) fail(origin_ + ": missing key \"" + key + "\" (an integer)");
  return get_int(key, 0, 1);
}

double ConfigReader::get_double(const std::string& key, double fallback) {
  const auto* v = find(key);
  if (!v) return fallback;
  if (v->is_string()) {
    const std::string s = v->get<std::string>();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
    bad(key, "a number or \"inf\"");
  }
  if (!v->is_number()) bad(key, "a number");
  return v->get<double>();
}

bool ConfigReader::get_bool(const std::string& key, bool fallback) {
  const auto* v = find(key);
  if (!v) return fallback;
  if (!v->is_boolean()) bad(key, "true or false");
  return v->get<bool>();
}

std::string ConfigReader::get_string(const std::string& key, const std::string& fallback) {
  const auto* v = find(key);
  if (!v) return fallback;
  if (!v->is_string()) bad(key, "a string");
  return v->get<std::string>();
}

std::vector<int> ConfigReader::get_ints(const std::string& key, const std::vector<int>& fallback, int min) {
  const auto* v = find(key);
  if (!v) return fallback;
  const std::string expected = "a list of integers >= " + std::to_string(min);
  if (!v->is_array()) bad(key, expected);
  std::vector<int> out;
  for (const auto& e : *v) {
    if (!e.is_number_integer() || e.get<int64_t>() < min || e.get<int64_t>() > std::numeric_limits<int>::max())
      bad(key, expected);
    out.push_back(e.get<int>());
  }
  return out;
}

std::vector<double> ConfigReader::get_doubles(const std::string& key, const std::vector<double>& fallback) {
  const auto* v = find(key);
  if (!v) return fallback;
  if (!v->is_array()) bad(key, "a list of numbers");
  std::vector<double> out;
  for (const auto& e : *v) {
    if (!e.is_number()) bad(key, "a list of numbers");
    out.push_back(e.get<double>());
  }
  return out;
}

void ConfigReader::reject_unused(const std::vector<std::string>& ignored) const {
  for (auto it = config_.begin(); it != config_.end(); ++it) {
    if (used_.count(it.key())) continue;
    if (std::find(ignored.begin(), ignored.end(), it.key()) != ignored.end()) continue;
    fail(origin_ + ": unknown key \"" + it.key() + "\" (not an argument of this architecture)");
  }
}

}  // namespace diffbench
