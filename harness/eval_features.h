// The feature side of a run: the Inception with its protocol, the reference dataset's features
// (computed once, cached on disk by content) or a reference statistics file, and datasets opened
// as the suite describes them.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <ATen/Tensor.h>
#include <c10/core/Device.h>
#include <nlohmann/json.hpp>

#include "metrics/running_stats.h"

namespace diffbench {

class ImageSource;
class FeatureExtractor;

struct BatchFeatures {
  at::Tensor pool3;    // [B, 2048] float32
  at::Tensor logits;   // [B, 1008] or undefined
  at::Tensor spatial;  // [B, 2023] or undefined
};

// The Inception of a suite's metrics entry ("inception": path | "random:SEED", "protocol").
class FeatureEngine {
 public:
  FeatureEngine(const nlohmann::json& metrics, c10::Device device, int batch_size);
  ~FeatureEngine();
  BatchFeatures extract(const std::vector<at::Tensor>& images, bool logits, bool spatial);
  std::string protocol() const { return protocol_; }
  std::string weights_label() const { return weights_label_; }   // the path, or "random:SEED"
  std::string weights_sha256() const { return weights_sha256_; }  // "" for a stand-in
  bool is_stand_in() const { return weights_sha256_.empty(); }
  int batch_size() const { return batch_size_; }

 private:
  std::unique_ptr<FeatureExtractor> extractor_;
  std::string protocol_, weights_label_, weights_sha256_;
  int batch_size_;
};

struct ReferenceFeatures {
  FeatureStats pool3_stats, spatial_stats;  // spatial only when asked
  at::Tensor pool3;                         // [N, 2048] when KID or P/R need it
  nlohmann::json describe;                  // dataset / file, count, hash, cache hit
};

// From "reference_stats_resolved" (an .npz with mu/sigma [+ mu_s/sigma_s]) when the metrics entry
// names one, else from the reference dataset's images; features are cached under
// $DIFFBENCH_CACHE (default ~/.cache/diffbench) keyed by the source's content hash, its split and
// count, the protocol and the Inception weights' hash.
ReferenceFeatures reference_features(const nlohmann::json& metrics, FeatureEngine& engine, bool need_features,
                                     bool need_spatial);

// Opens a suite dataset entry ({"source_resolved", "split", "resolution", "limit"?}).
std::unique_ptr<ImageSource> open_dataset(const nlohmann::json& dataset);
// Centres an image [H, W, 3] on black padding up to the dataset's resolution; larger is an Error.
at::Tensor pad_to_resolution(const at::Tensor& image, const nlohmann::json& dataset);

}  // namespace diffbench
