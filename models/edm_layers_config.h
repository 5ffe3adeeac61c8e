// Reads a model's JSON config by the official constructor argument names, remembering which keys
// were used so that a typo ("num_block") fails with one line naming the key instead of silently
// falling back to a default.
#pragma once
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace diffbench {

class ConfigReader {
 public:
  ConfigReader(const nlohmann::json& config, std::string origin);
  bool has(const std::string& key) const;
  // Integers in model configs are sizes and counts: below `min` is refused with one line.
  int get_int(const std::string& key, int fallback, int min = 0);
  int require_int(const std::string& key);
  double get_double(const std::string& key, double fallback);  // accepts "inf" / "-inf"
  bool get_bool(const std::string& key, bool fallback);
  std::string get_string(const std::string& key, const std::string& fallback);
  std::vector<int> get_ints(const std::string& key, const std::vector<int>& fallback, int min = 0);
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

// The constructor arguments EDM's SongUNet and DhariwalUNet share, read into either config, and
// the check that the resolution halves cleanly at every level.
template <class UNetConfig>
void read_shared_unet_args(ConfigReader& r, int img_resolution, int channels, int label_dim, UNetConfig& c) {
  c.img_resolution = img_resolution;
  c.in_channels = c.out_channels = channels;
  c.label_dim = label_dim;
  c.augment_dim = r.get_int("augment_dim", c.augment_dim);
  c.model_channels = r.get_int("model_channels", c.model_channels, 1);
  c.channel_mult = r.get_ints("channel_mult", c.channel_mult, 1);
  c.channel_mult_emb = r.get_int("channel_mult_emb", c.channel_mult_emb, 1);
  c.num_blocks = r.get_int("num_blocks", c.num_blocks, 1);
  c.attn_resolutions = r.get_ints("attn_resolutions", c.attn_resolutions, 1);
  c.dropout = r.get_double("dropout", c.dropout);
  c.label_dropout = r.get_double("label_dropout", c.label_dropout);
}

template <class UNetConfig>
void check_unet_levels(const ConfigReader& r, const UNetConfig& c) {
  if (c.channel_mult.empty()) fail(r.origin() + ": channel_mult must not be empty");
  if (c.img_resolution % (1 << (c.channel_mult.size() - 1)) != 0)
    fail(r.origin() + ": img_resolution " + std::to_string(c.img_resolution) +
                       " is not divisible by 2^(levels-1)");
}

}  // namespace diffbench
