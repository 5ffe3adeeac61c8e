// Shared helpers of the EDM U-Net, VAE and sampler tests: golden paths, relative errors, key lists.
#pragma once
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "build_info.h"
#include "io/npy.h"

namespace diffbench::testing_unet {

inline std::string golden(const std::string& rel) {
  return std::string(DIFFBENCH_SHARED_DIR) + "/golden/models/" + rel;
}

inline at::Tensor npy(const std::string& rel) { return read_npy(golden(rel)); }

// max|a - ref| / max|ref|, in float64.
inline double max_rel(const at::Tensor& a, const at::Tensor& ref) {
  const at::Tensor r = ref.to(at::kDouble);
  return (a.to(at::kDouble) - r).abs().max().item<double>() / r.abs().max().item<double>();
}

// keys.txt rows: name -> "[d0, d1, ...]" (comment lines skipped).
inline std::vector<std::pair<std::string, std::string>> read_keys(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::pair<std::string, std::string>> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ss(line);
    std::string name, dtype, shape;
    std::getline(ss, name, '\t');
    std::getline(ss, dtype, '\t');
    std::getline(ss, shape, '\t');
    out.emplace_back(name, shape);
  }
  return out;
}

inline std::string shape_text(at::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace diffbench::testing_unet
