#include "harness/eval_features.h"

#include <cstdlib>
#include <filesystem>

#include "common/error.h"
#include "common/files.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/progress.h"
#include "data/source.h"
#include "io/state_dict.h"
#include "metrics/features.h"
#include "metrics/inception_weights.h"
#include "metrics/reference_stats.h"
#include "metrics/sfid.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace diffbench {

// ---- datasets -------------------------------------------------------------------------------

namespace {

// A dataset limited to its first `count` images (a smoke suite's small reference).
class LimitedSource : public ImageSource {
 public:
  LimitedSource(std::unique_ptr<ImageSource> inner, long count) : inner_(std::move(inner)), count_(count) {}
  long size() const override { return count_; }
  std::string kind() const override { return inner_->kind(); }
  std::string path() const override { return inner_->path(); }
  std::string name_of(long index) const override { return inner_->name_of(index); }
  std::vector<at::Tensor> read(long start, long count) override {
    if (start < 0 || start + count > count_)
      fail(path() + ": images [" + std::to_string(start) + ", " + std::to_string(start + count) +
           ") asked of a dataset limited to " + std::to_string(count_));
    return inner_->read(start, count);
  }
  std::string content_hash() override { return sha256_hex(inner_->content_hash() + "/first:" + std::to_string(count_)); }

 private:
  std::unique_ptr<ImageSource> inner_;
  long count_;
};

}  // namespace

std::unique_ptr<ImageSource> open_dataset(const json& dataset) {
  SourceOptions options;
  options.split = dataset.value("split", "train");
  std::string path = dataset.at("source_resolved");
  if (!fs::exists(path)) {
    std::string where = dataset.contains("obtain") ? dataset["obtain"].get<std::string>()
                        : dataset.contains("hint") ? dataset["hint"].get<std::string>() : "";
    fail(path + ": dataset \"" + dataset.value("name", "") + "\" not found" +
         (where.empty() ? "" : "; " + where));
  }
  auto source = open_source(path, options);
  if (dataset.contains("limit")) {
    long count = dataset["limit"].get<long>();
    if (count > source->size())
      fail(path + ": dataset \"" + dataset.value("name", "") + "\" asks for " + std::to_string(count) +
           " images but the " + options.split + " split has " + std::to_string(source->size()));
    return std::make_unique<LimitedSource>(std::move(source), count);
  }
  return source;
}

at::Tensor pad_to_resolution(const at::Tensor& image, const json& dataset) {
  if (!dataset.contains("resolution")) return image;
  int64_t r = dataset["resolution"].get<int64_t>();
  int64_t h = image.size(0), w = image.size(1);
  if (h == r && w == r) return image;
  if (h > r || w > r)
    fail(dataset.value("source_resolved", std::string("dataset")) + ": an image is " + std::to_string(h) + "x" +
         std::to_string(w) + ", larger than the dataset's resolution " + std::to_string(r) +
         " (diffbench never resizes implicitly)");
  // Black padding, centred: how the training pipeline pads Fashion-MNIST's 28x28 to 32x32.
  int64_t top = (r - h) / 2, left = (r - w) / 2;
  auto out = torch::zeros({r, r, 3}, torch::kUInt8);
  out.slice(0, top, top + h).slice(1, left, left + w).copy_(image);
  return out;
}

// ---- the Inception ------------------------------------------------------------------------------

FeatureEngine::FeatureEngine(const json& metrics, c10::Device device, int batch_size)
    : batch_size_(batch_size) {
  protocol_ = metrics.value("protocol", "pytorch-fid");
  std::string inception = metrics.value("inception", "random:0");
  if (!is_random_inception(inception)) inception = metrics.value("inception_resolved", inception);
  weights_label_ = inception;
  FeatureExtractorOptions options;
  options.weights = inception;
  options.protocol = protocol_;
  options.device = device;
  options.batch_size = batch_size;
  options.progress = false;  // the runner shows its own progress
  extractor_ = std::make_unique<FeatureExtractor>(options);
  weights_sha256_ = extractor_->is_stand_in() ? "" : extractor_->weights().sha256;
}

FeatureEngine::~FeatureEngine() = default;

BatchFeatures FeatureEngine::extract(const std::vector<at::Tensor>& images, bool logits, bool spatial) {
  FeatureLayers layers;
  layers.logits = logits;
  layers.spatial = spatial;
  auto f = extractor_->extract_batch(images, layers);
  return {f.pool3, f.logits, f.spatial};
}

// ---- the reference --------------------------------------------------------------------------------

static std::string cache_dir() {
  if (const char* d = std::getenv("DIFFBENCH_CACHE")) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME")) return (fs::path(d) / "diffbench").string();
  if (const char* h = std::getenv("HOME")) return (fs::path(h) / ".cache" / "diffbench").string();
  return ".diffbench-cache";
}

static ReferenceFeatures from_stats_file(const json& metrics, const FeatureEngine& engine, bool need_features,
                                         bool need_spatial) {
  std::string path = metrics["reference_stats_resolved"];
  if (need_features)
    fail(path + ": KID and precision/recall need the reference images, and a statistics file holds only "
                "mu and sigma; name a reference dataset instead");
  if (!file_exists(path)) fail(path + ": reference statistics file not found");
  ReferenceStats stats = read_reference_stats(path);  // the reader `fid` and `metrics` use
  if (!stats.pool.mu.defined())
    fail(path + ": no \"mu\"/\"sigma\" arrays; expected pytorch-fid/ADM/EDM statistics");
  check_stats_compatible(stats, path, engine.protocol(),
                         inception_identity(engine.is_stand_in(), engine.weights_label(), engine.weights_sha256()));
  ReferenceFeatures ref;
  ref.pool3_stats = stats.pool;
  if (ref.pool3_stats.mu.numel() != 2048)
    fail(path + ": mu/sigma are not 2048-d pool3 statistics");
  if (need_spatial) {
    if (!stats.spatial.mu.defined())
      fail(path + ": sFID needs mu_s and sigma_s (an ADM reference batch); this file has none");
    ref.spatial_stats = stats.spatial;
  }
  ref.describe = {{"stats_file", path}, {"sha256", stats.sha256}};
  return ref;
}

ReferenceFeatures reference_features(const json& metrics, FeatureEngine& engine, bool need_features,
                                     bool need_spatial) {
  if (metrics.contains("reference_stats_resolved")) return from_stats_file(metrics, engine, need_features, need_spatial);
  const json& dataset = metrics.at("reference");
  auto source = open_dataset(dataset);
  std::string content = source->content_hash();
  std::string weights = engine.is_stand_in() ? engine.weights_label() : engine.weights_sha256();
  std::string key = sha256_hex(content + "|" + dataset.value("split", "train") + "|" +
                               std::to_string(dataset.value("resolution", 0)) + "|" + engine.protocol() + "|" +
                               weights + "|features-v1");
  fs::path file = fs::path(cache_dir()) / ("reference-" + key.substr(0, 32) + ".safetensors");
  ReferenceFeatures ref;
  at::Tensor pool3, spatial;
  bool hit = false;
  if (fs::exists(file)) {
    try {
      auto sd = load_state_dict(file.string());
      if (sd.contains("pool3") && (!need_spatial || sd.contains("spatial"))) {
        pool3 = sd.at("pool3");
        if (sd.contains("spatial")) spatial = sd.at("spatial");
        hit = true;
      }
    } catch (const Error& e) {
      warn("reference cache " + file.string() + " unreadable (" + e.what() + "); recomputing");
    }
  }
  if (!hit) {
    long n = source->size();
    Progress progress("reference " + dataset.value("name", std::string("dataset")), n, "img");
    std::vector<at::Tensor> p3, sp;
    for (long start = 0; start < n; start += engine.batch_size()) {
      long count = std::min<long>(engine.batch_size(), n - start);
      auto images = source->read(start, count);
      for (auto& img : images) img = pad_to_resolution(img, dataset);
      auto f = engine.extract(images, false, need_spatial);
      p3.push_back(f.pool3);
      if (need_spatial) sp.push_back(f.spatial);
      progress.advance(count);
    }
    progress.finish();
    pool3 = torch::cat(p3);
    if (need_spatial) spatial = torch::cat(sp);
    StateDict sd;
    sd.insert("pool3", pool3);
    if (spatial.defined()) sd.insert("spatial", spatial);
    fs::create_directories(file.parent_path());
    save_safetensors(file.string(), sd,
                     {{"diffbench_reference", json{{"source", source->path()}, {"content_sha256", content},
                                                   {"protocol", engine.protocol()}, {"inception", weights}}
                                                  .dump()}});
  }
  ref.pool3_stats = feature_stats(pool3);
  if (need_spatial) ref.spatial_stats = feature_stats(spatial);
  if (need_features) ref.pool3 = pool3;
  ref.describe = {{"dataset", dataset.value("name", "")}, {"source", source->path()},
                  {"split", dataset.value("split", "train")}, {"count", pool3.size(0)},
                  {"content_sha256", content}, {"cache", hit ? "hit" : "computed"}};
  return ref;
}

}  // namespace diffbench
