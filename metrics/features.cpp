#include "metrics/features.h"

#include <ATen/Context.h>
#include <c10/core/InferenceMode.h>

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "common/error.h"
#include "common/log.h"
#include "common/progress.h"
#include "common/runtime.h"
#include "data/source.h"

namespace diffbench {

// ---- layers -----------------------------------------------------------------------------------------------

FeatureLayer parse_feature_layer(const std::string& name, const std::string& what) {
  if (name == "pool3") return FeatureLayer::Pool3;
  if (name == "logits") return FeatureLayer::Logits;
  if (name == "spatial") return FeatureLayer::Spatial;
  fail(what + ": unknown feature layer \"" + name + "\"; expected pool3, logits or spatial");
}

std::string feature_layer_name(FeatureLayer layer) {
  switch (layer) {
    case FeatureLayer::Pool3: return "pool3";
    case FeatureLayer::Logits: return "logits";
    default: return "spatial";
  }
}

int64_t feature_dim(FeatureLayer layer) {
  switch (layer) {
    case FeatureLayer::Pool3: return 2048;
    case FeatureLayer::Logits: return 1008;
    default: return 2023;
  }
}

FeatureLayers FeatureLayers::only(FeatureLayer layer) {
  FeatureLayers l;
  l.pool3 = layer == FeatureLayer::Pool3;
  l.logits = layer == FeatureLayer::Logits;
  l.spatial = layer == FeatureLayer::Spatial;
  return l;
}

bool FeatureLayers::has(FeatureLayer layer) const {
  return layer == FeatureLayer::Pool3 ? pool3 : layer == FeatureLayer::Logits ? logits : spatial;
}

int64_t FeatureBatch::count() const {
  for (const at::Tensor* t : {&pool3, &logits, &spatial})
    if (t->defined()) return t->size(0);
  return 0;
}

const at::Tensor& FeatureBatch::get(FeatureLayer layer) const {
  const at::Tensor& t = layer == FeatureLayer::Pool3 ? pool3 : layer == FeatureLayer::Logits ? logits : spatial;
  if (!t.defined()) fail("features: layer " + feature_layer_name(layer) + " was not extracted");
  return t;
}

FeatureBatch concat_feature_batches(const std::vector<FeatureBatch>& batches) {
  FeatureBatch out;
  if (batches.empty()) return out;
  out.start = batches.front().start;
  auto cat = [&](at::Tensor FeatureBatch::*member) {
    std::vector<at::Tensor> parts;
    for (const auto& b : batches)
      if ((b.*member).defined()) parts.push_back(b.*member);
    if (!parts.empty()) out.*member = at::cat(parts, 0);
  };
  cat(&FeatureBatch::pool3);
  cat(&FeatureBatch::logits);
  cat(&FeatureBatch::spatial);
  return out;
}

std::string onednn_max_isa() {
  for (const char* name : {"ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"})
    if (const char* v = std::getenv(name)) return v;
  return "ALL";
}

// ---- the extractor ----------------------------------------------------------------------------------------

FeatureExtractor::FeatureExtractor(const FeatureExtractorOptions& options)
    : protocol_(parse_protocol(options.protocol, "--protocol")),
      device_(options.device),
      batch_size_(options.batch_size),
      fold_batchnorm_(options.fold_batchnorm),
      progress_(options.progress) {
  if (batch_size_ < 1) fail("--batch: expected a positive batch size, got " + std::to_string(batch_size_));
  net_ = load_fid_inception(options.weights, &info_);
  if (info_.stand_in)
    warn("Inception " + info_.label + " is a random stand-in network: its features and FIDs are NOT comparable "
         "with any published number");
  net_->eval();
  net_->to(device_);
  if (device_.is_cuda()) {
    // Parity needs true float32 convolutions and matmuls (TF32 is on by default for cuDNN).
    at::globalContext().setAllowTF32CuDNN(false);
    at::globalContext().setAllowTF32CuBLAS(false);
  }
  if (fold_batchnorm_) net_->fold_batchnorm();
}

FeatureExtractor::~FeatureExtractor() = default;

nlohmann::json FeatureExtractor::describe() const {
  nlohmann::json j;
  j["network"] = "FID Inception-v3 (pytorch-fid layout, 2015-12-05 TF graph)";
  j["weights"] = info_.label;
  j["weights_sha256"] = info_.sha256;
  j["weights_format"] = info_.format;
  if (info_.stand_in) j["stand_in"] = "random weights: not comparable with published numbers";
  j["protocol"] = protocol_name(protocol_);
  j["front_end"] = protocol_description(protocol_);
  j["device"] = device_.str();
  j["batch_size"] = batch_size_;
  j["precision"] = "float32";
  j["batchnorm"] = fold_batchnorm_ ? "folded" : "separate (reference order)";
  if (device_.is_cpu()) {
    j["onednn_max_isa"] = onednn_max_isa();
    j["cpu_parallelism"] = single_threaded_tasks() ? "each image on one thread, threads on separate images"
                                                   : "every layer over all threads";
  }
  else j["tf32"] = false;
  return j;
}

FeatureBatch FeatureExtractor::forward(const at::Tensor& input, const FeatureLayers& layers) {
  InceptionTaps taps;
  taps.logits = layers.logits;
  taps.spatial = layers.spatial;
  auto run = [&](const at::Tensor& x) {
    c10::InferenceMode inference;
    InceptionOutputs out = net_->forward(x.to(device_, at::kFloat), taps);
    FeatureBatch b;
    auto host = [](const at::Tensor& t) { return t.to(at::kCPU, at::kFloat).contiguous(); };
    if (layers.pool3) b.pool3 = host(out.pool3);
    if (layers.logits) b.logits = host(out.logits);
    if (layers.spatial) b.spatial = host(out.spatial);
    return b;
  };
  if (!device_.is_cpu() || !single_threaded_tasks()) return run(input);
  // On CPU the batch is split into one contiguous part per thread, each part computed on one thread:
  // faster than every layer over all threads, and each image's features come out the same for any
  // batch size and thread count.
  const int64_t n = input.size(0);
  const int parts = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(current_threads(), n)));
  std::vector<FeatureBatch> results(static_cast<size_t>(parts));
  run_single_threaded_tasks(parts, [&](int i) {
    const int64_t begin = n * i / parts, end = n * (i + 1) / parts;
    results[static_cast<size_t>(i)] = run(input.narrow(0, begin, end - begin));
  });
  return concat_feature_batches(results);
}

FeatureBatch FeatureExtractor::extract_batch(const std::vector<at::Tensor>& images, const FeatureLayers& layers) {
  std::vector<FeatureBatch> parts;
  for (size_t i = 0; i < images.size(); i += static_cast<size_t>(batch_size_)) {
    std::vector<at::Tensor> chunk(images.begin() + i, images.begin() + std::min(images.size(), i + batch_size_));
    FeatureBatch b = forward(prepare_batch(chunk, protocol_), layers);
    b.start = static_cast<int64_t>(i);
    parts.push_back(std::move(b));
  }
  return concat_feature_batches(parts);
}

namespace {

// A bounded queue of prepared batches between the producer thread and the network.
struct BatchQueue {
  struct Item {
    int64_t start = 0, count = 0;
    at::Tensor input;
    std::exception_ptr error;
  };
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<Item> items;
  size_t capacity = 2;
  bool stop = false;

  bool push(Item item) {  // false when the consumer has stopped
    std::unique_lock<std::mutex> lock(mutex);
    changed.wait(lock, [&] { return stop || items.size() < capacity; });
    if (stop) return false;
    items.push_back(std::move(item));
    changed.notify_all();
    return true;
  }
  Item pop() {
    std::unique_lock<std::mutex> lock(mutex);
    changed.wait(lock, [&] { return !items.empty(); });
    Item item = std::move(items.front());
    items.pop_front();
    changed.notify_all();
    return item;
  }
  void halt() {
    std::lock_guard<std::mutex> lock(mutex);
    stop = true;
    changed.notify_all();
  }
};

}  // namespace

FeatureBatch FeatureExtractor::extract(ImageSource& source, const FeatureLayers& layers, const ExtractOptions& options) {
  const int64_t total = source.size();
  if (options.start < 0 || options.start > total)
    fail(source.path() + ": start index " + std::to_string(options.start) + " is outside the source's " +
         std::to_string(total) + " images");
  const int64_t count = options.count < 0 ? total - options.start : options.count;
  if (options.start + count > total)
    fail(source.path() + ": asked for " + std::to_string(count) + " images from index " +
         std::to_string(options.start) + " but the source holds " + std::to_string(total));

  BatchQueue queue;
  const InputProtocol protocol = protocol_;
  const int64_t batch = batch_size_;
  // Reading, decoding and resizing overlap with inference, on one thread of their own.
  std::thread producer([&queue, &source, protocol, batch, &options, count] {
    confine_to_one_thread();
    for (int64_t done = 0; done < count;) {
      BatchQueue::Item item;
      item.start = options.start + done;
      const int64_t n = std::min(batch, count - done);
      try {
        item.input = prepare_batch(source.read(item.start, n), protocol);
        item.count = n;
      } catch (...) {
        item.error = std::current_exception();
      }
      const bool failed = static_cast<bool>(item.error);
      if (!queue.push(std::move(item)) || failed) return;
      done += n;
    }
  });

  std::vector<FeatureBatch> kept;
  std::unique_ptr<Progress> progress;
  if (progress_) progress = std::make_unique<Progress>(options.label, count);
  try {
    for (int64_t done = 0; done < count;) {
      BatchQueue::Item item = queue.pop();
      if (item.error) std::rethrow_exception(item.error);
      const int64_t n = item.count;
      FeatureBatch b = forward(item.input, layers);
      b.start = item.start;
      if (options.on_batch) options.on_batch(b);
      done += n;
      if (progress) progress->advance(n);
      if (options.keep) kept.push_back(std::move(b));
    }
  } catch (...) {
    queue.halt();
    producer.join();
    configure_threads(current_threads());  // the producer lowered the default for new threads
    throw;
  }
  queue.halt();
  producer.join();
  configure_threads(current_threads());
  if (progress) progress->finish();
  FeatureBatch out = concat_feature_batches(kept);
  out.start = options.start;
  return out;
}

}  // namespace diffbench
