// Reads a model's JSON config by the official constructor argument names, remembering which keys
// were used so that a typo ("num_block") fails with one line naming the key instead of silently
// falling back to a default.
#pragma once
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace diffbench {

class ConfigReader {
 public:
  ConfigReader(const nlohmann::json& config, std::string origin);
  bool has(const std::string& key) const;
  int get_int(const std::string& key, int fallback);
  int require_int(const std::string& key);
  double get_double(const std::string& key, double fallback);  // accepts "inf" / "-inf"
  bool get_bool(const std::string& key, bool fallback);
  std::string get_string(const std::string& key, const std::string& fallback);
  std::vector<int> get_ints(const std::string& key, const std::vector<int>& fallback);
  std::vector<double> get_doubles(const std::string& key, const std::vector<double>& fallback);
  void mark_used(const std::string& key) { used_.insert(key); }
  // Error naming the first key that nobody read (keys in `ignored` are allowed).
  void reject_unused(const std::vector<std::string>& ignored) const;
  const std::string& origin() const { return origin_; }

 private:
  const nlohmann::json* find(const std::string& key);
  [[noreturn]] void bad(const std::string& key, const std::string& expected) const;
  const nlohmann::json& config_;
  std::string origin_;
  std::set<std::string> used_;
};

}  // namespace diffbench
