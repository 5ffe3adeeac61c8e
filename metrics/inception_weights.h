// Where the FID Inception's weights come from: pytorch-fid's published state_dict (any container
// io/state_dict.h reads), identified by SHA-256, or "random:SEED", a deterministic stand-in network for
// tests and smoke runs whose numbers are NOT comparable with any published FID.
#pragma once
#include <cstdint>
#include <string>

#include "metrics/inception.h"

namespace diffbench {

constexpr const char* kInceptionWeightsName = "pt_inception-2015-12-05-6726825d.pth";
constexpr const char* kInceptionWeightsUrl =
    "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth";
constexpr int64_t kInceptionWeightsBytes = 95628359;  // as reported upstream (metrics.md §3.1)

struct InceptionWeightsInfo {
  std::string label;    // the path as given, or "random:SEED"
  std::string path;     // the file read ("" for a stand-in)
  std::string sha256;   // of the file ("" for a stand-in)
  std::string format;   // container ("safetensors", "torch-legacy", ...) or "random"
  bool stand_in = false;
};

bool is_random_inception(const std::string& weights);  // "random:SEED"

// Builds the network and loads `weights` (a file, a folder holding kInceptionWeightsName, or "random:SEED").
// A missing file is one Error line naming the expected file, its size and its URL; foreign or mis-shaped
// state_dicts are one Error line listing every bad key (io/state_dict.h load_into_module).
FidInceptionV3 load_fid_inception(const std::string& weights, InceptionWeightsInfo* info = nullptr);

// Fills the network with the deterministic stand-in weights of `seed` (He-normal convs, BN near identity).
void init_random_inception(FidInceptionV3& net, uint64_t seed);

}  // namespace diffbench
