// Feature extraction with the FID Inception: images (from an ImageSource or from memory) through an input
// protocol and the network, in batches, in inference mode. Reading, decoding and resizing run on a producer
// thread while the network works on the previous batch. Features come back as float32 CPU tensors in the
// source's order; a per-batch callback lets FID accumulate running statistics without keeping them.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ATen/Tensor.h>
#include <c10/core/Device.h>
#include <nlohmann/json.hpp>

#include "metrics/inception.h"
#include "metrics/inception_weights.h"
#include "metrics/protocol.h"

namespace diffbench {

class ImageSource;

enum class FeatureLayer { Pool3, Logits, Spatial };
FeatureLayer parse_feature_layer(const std::string& name, const std::string& what = "--layer");  // pool3|logits|spatial
std::string feature_layer_name(FeatureLayer layer);
int64_t feature_dim(FeatureLayer layer);  // 2048, 1008, 2023

struct FeatureLayers {
  bool pool3 = true, logits = false, spatial = false;
  static FeatureLayers only(FeatureLayer layer);
  bool has(FeatureLayer layer) const;
};

// Features of consecutive images [start, start + count): float32 CPU, undefined for layers not asked for.
struct FeatureBatch {
  int64_t start = 0;
  at::Tensor pool3;    // [count, 2048]
  at::Tensor logits;   // [count, 1008]
  at::Tensor spatial;  // [count, 2023]
  int64_t count() const;
  const at::Tensor& get(FeatureLayer layer) const;
};

struct FeatureExtractorOptions {
  std::string weights;                  // weights file, folder holding it, or "random:SEED"
  std::string protocol = "pytorch-fid";  // "pytorch-fid" | "tf"
  c10::Device device = c10::Device(c10::kCPU);
  int batch_size = 50;
  // Folds BN into the convs: faster, but rounds differently from the reference (up to 1.7e-4 on pool3, ~10% faster).
  bool fold_batchnorm = false;
  bool progress = true;  // a Progress line on stderr during extract()
};

struct ExtractOptions {
  int64_t start = 0;
  int64_t count = -1;    // -1: to the end of the source
  bool keep = true;      // concatenate and return the features (false: only the callback sees them)
  std::function<void(const FeatureBatch&)> on_batch;  // called in order, on the calling thread
  std::string label = "features";  // Progress label
};

class FeatureExtractor {
 public:
  explicit FeatureExtractor(const FeatureExtractorOptions& options);
  ~FeatureExtractor();
  FeatureExtractor(const FeatureExtractor&) = delete;
  FeatureExtractor& operator=(const FeatureExtractor&) = delete;

  // Streams the source through the network in batches of batch_size (the last may be short).
  FeatureBatch extract(ImageSource& source, const FeatureLayers& layers, const ExtractOptions& options = {});
  // Images already in memory (uint8 RGB [H, W, 3], e.g. generated samples), any count: split into batches.
  FeatureBatch extract_batch(const std::vector<at::Tensor>& images, const FeatureLayers& layers);
  // A prepared input [N, 3, 299, 299] float32 (the protocol already applied) straight through the network.
  FeatureBatch forward(const at::Tensor& input, const FeatureLayers& layers);

  InputProtocol protocol() const { return protocol_; }
  const InceptionWeightsInfo& weights() const { return info_; }
  bool is_stand_in() const { return info_.stand_in; }
  int batch_size() const { return batch_size_; }
  c10::Device device() const { return device_; }
  // Provenance: weights label, sha256 (or the stand-in warning), protocol, device, batch, precision.
  nlohmann::json describe() const;

 private:
  FidInceptionV3 net_{nullptr};
  InceptionWeightsInfo info_;
  InputProtocol protocol_;
  c10::Device device_;
  int batch_size_;
  bool fold_batchnorm_;
  bool progress_;
};

// Concatenates batches (in order) into one FeatureBatch starting at the first batch's start.
FeatureBatch concat_feature_batches(const std::vector<FeatureBatch>& batches);

// The oneDNN instruction set the process uses for convolutions ("avx2" by default: see inception.cpp).
std::string onednn_max_isa();

}  // namespace diffbench
