#include "harness/runner.h"

#include <torch/version.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "common/error.h"
#include "common/files.h"
#include "common/hash.h"
#include "common/json_file.h"
#include "common/log.h"
#include "common/progress.h"
#include "common/runtime.h"
#include "data/image_write.h"
#include "data/source.h"
#include "harness/eval_features.h"
#include "harness/generate.h"
#include "harness/profile.h"
#include "harness/result.h"
#include "harness/suite.h"
#include "io/state_dict.h"
#include "metrics/frechet.h"
#include "metrics/inception_score.h"
#include "metrics/kid.h"
#include "metrics/precision_recall.h"
#include "metrics/running_stats.h"
#include "metrics/sfid.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace diffbench {

void parse_shard(const std::string& text, int& index, int& count) {
  int i = -1, n = -1;
  char tail;
  if (std::sscanf(text.c_str(), "%d/%d%c", &i, &n, &tail) != 2 || n < 1 || i < 0 || i >= n)
    fail("--shard: expected i/N with 0 <= i < N, got \"" + text + "\"");
  index = i;
  count = n;
}

namespace {

// ---- what a run needs, resolved from its entry ------------------------------------------------

struct RunPlan {
  const RunSpec* run = nullptr;
  json entry;
  std::vector<std::string> compute;  // metric names
  std::vector<uint64_t> seeds;       // exactly num_samples of them
  int64_t chunk_size = 1000;
  int batch_size = 64;
  std::string result_file, state_dir;
  std::string weights_sha256;  // of the generator's (and VAE's) weights files; "" for none; set by set_up
  bool needs(const std::string& m) const {
    return std::find(compute.begin(), compute.end(), m) != compute.end();
  }
  int64_t chunks() const { return (static_cast<int64_t>(seeds.size()) + chunk_size - 1) / chunk_size; }
  std::vector<uint64_t> chunk_seeds(int64_t c) const {
    auto begin = seeds.begin() + c * chunk_size;
    auto end = seeds.begin() + std::min<int64_t>(seeds.size(), (c + 1) * chunk_size);
    return {begin, end};
  }
};

std::string default_results_dir() {
  return "results";  // relative to where diffbench runs, as the README shows
}

// The run id covers the entry, not the bytes of the weights files it names: chunks record their
// hash so that a resume or merge after a checkpoint changed is refused instead of mixing models.
std::string weights_fingerprint(const json& entry) {
  const json& m = entry["model"];
  std::string hashes;
  if (m.contains("weights_resolved")) hashes += sha256_file(m["weights_resolved"].get<std::string>());
  if (m.contains("vae") && m["vae"].contains("weights") && m["vae"]["weights"].is_string())
    hashes += sha256_file(m["vae"]["weights"].get<std::string>());
  return hashes.empty() ? "" : sha256_hex(hashes);
}

RunPlan make_plan(const Suite& suite, const RunSpec& run, const RunOptions& o) {
  RunPlan p;
  p.run = &run;
  p.entry = run.entry;
  const json& m = p.entry["metrics"];
  for (const auto& c : m["compute"]) p.compute.push_back(c.get<std::string>());
  int64_t n = m["num_samples"].get<int64_t>();
  auto seeds = parse_seeds(p.entry["seeds"], run.id + ": seeds");
  if (static_cast<int64_t>(seeds.size()) < n)
    fail(suite.file + ": run " + run.id + " needs " + std::to_string(n) + " samples but its seeds give only " +
         std::to_string(seeds.size()) + " (fewer images than the protocol requires is an error)");
  seeds.resize(n);
  p.seeds = seeds;
  p.chunk_size = p.entry["chunk_size"].get<int64_t>();
  p.batch_size = o.batch_size > 0 ? o.batch_size : p.entry["batch_size"].get<int>();
  std::string dir = o.results_dir.empty() ? default_results_dir() : o.results_dir;
  p.result_file = result_path(dir, suite.name(), run.id);
  p.state_dir = (fs::path(dir) / suite.name() / ".state" / run.id).string();
  return p;
}

std::string chunk_file(const RunPlan& p, int64_t c) {
  char name[32];
  std::snprintf(name, sizeof name, "chunk-%06lld.safetensors", static_cast<long long>(c));
  return (fs::path(p.state_dir) / name).string();
}

// The dataset entry of the suite with this name, resolved (for "images" models).
json dataset_entry(const Suite& suite, const std::string& name) {
  for (const auto& d : suite.json["datasets"])
    if (d.value("name", "") == name) {
      json out = d;
      out["source_resolved"] = suite.resolve(d["source"]);
      if (!out.contains("split")) out["split"] = "train";
      return out;
    }
  fail(suite.file + ": no dataset named \"" + name + "\"");
}

// ---- image producers: seeds in, uint8 RGB images out ----------------------------------------

class Producer {
 public:
  virtual ~Producer() = default;
  virtual std::vector<at::Tensor> images(const std::vector<uint64_t>& seeds) = 0;
  virtual json describe() const = 0;
};

// Real images: seed i is image i of the dataset, zero-padded to the dataset's resolution.
class DatasetProducer : public Producer {
 public:
  explicit DatasetProducer(const json& dataset) : dataset_(dataset) {
    source_ = open_dataset(dataset);
  }
  std::vector<at::Tensor> images(const std::vector<uint64_t>& seeds) override {
    std::vector<at::Tensor> out;
    // Seeds are usually one contiguous range: read it in one call.
    size_t i = 0;
    while (i < seeds.size()) {
      size_t j = i + 1;
      while (j < seeds.size() && seeds[j] == seeds[j - 1] + 1) ++j;
      if (seeds[j - 1] >= static_cast<uint64_t>(source_->size()))
        fail(dataset_["source_resolved"].get<std::string>() + ": has " + std::to_string(source_->size()) +
             " images; seed " + std::to_string(seeds[j - 1]) + " asks for more");
      for (auto& img : source_->read(static_cast<long>(seeds[i]), static_cast<long>(j - i)))
        out.push_back(pad_to_resolution(img, dataset_));
      i = j;
    }
    return out;
  }
  json describe() const override { return {{"kind", "images"}, {"dataset", dataset_.value("name", "")}}; }

 private:
  json dataset_;
  std::unique_ptr<ImageSource> source_;
};

// The suite's "precision" and "tf32" (expanded entries always carry both).
Precision entry_precision(const json& entry) {
  Precision p;
  p.dtype = entry.value("precision", "fp32");
  p.tf32 = entry.value("tf32", false);
  return p;
}

class ModelProducer : public Producer {
 public:
  ModelProducer(const json& entry, c10::Device device) {
    const json& model = entry["model"];
    GeneratorSpec spec;
    spec.model_config = model["config_object"];
    if (model.contains("weights_resolved")) spec.weights = model["weights_resolved"];
    spec.random_init = model.value("random_init", -1);
    if (model.contains("vae")) spec.vae = resolved_vae(model["vae"], entry);
    spec.sampler = entry["sampler"];
    spec.guidance = entry["guidance"];
    spec.quantize = model.value("quantize", "round");
    spec.class_label = model.value("class_label", -1);
    spec.device = device;
    spec.precision = entry_precision(entry);
    generator_ = std::make_unique<SampleGenerator>(spec);
    training_ = training_of(spec);
  }
  std::vector<at::Tensor> images(const std::vector<uint64_t>& seeds) override {
    auto batch = generator_->generate(seeds);
    std::vector<at::Tensor> out;
    for (int64_t i = 0; i < batch.size(0); ++i) out.push_back(batch[i]);
    return out;
  }
  json describe() const override {
    return {{"kind", "generator"}, {"summary", generator_->describe()},
            {"params", generator_->parameters()}, {"macs_per_call", generator_->macs_per_call()},
            {"nfe", generator_->nfe_per_image()},
            {"macs_per_image", generator_->macs_per_call() * generator_->nfe_per_image()},
            {"training", training_}, {"training_images", training_["images"]}};
  }
  SampleGenerator& generator() { return *generator_; }

 private:
  // What the weights were trained on, so a table can show equal budgets: diffbench's own training
  // checkpoints carry it in their metadata; a seeded initialisation saw no images; an external
  // checkpoint's budget is unknown (null).
  static json training_of(const GeneratorSpec& spec) {
    if (spec.weights.empty()) return {{"images", 0}, {"weights", "random_init " + std::to_string(spec.random_init)}};
    json t = {{"images", nullptr}, {"weights", spec.weights}};
    const std::string& w = spec.weights;
    if (w.size() < 12 || w.compare(w.size() - 12, 12, ".safetensors") != 0) return t;
    auto meta = read_safetensors_metadata(w);
    auto it = meta.find("diffbench_train");
    if (it == meta.end()) return t;
    json m = parse_json(it->second, w + ": diffbench_train metadata");
    t["images"] = m["images"];
    t["steps"] = m["steps"];
    if (m.contains("config")) {
      for (const char* k : {"dataset", "split", "batch_size", "lr", "seed"})
        if (m["config"].contains(k)) t[k] = m["config"][k];
    }
    return t;
  }
  json training_;
  static json resolved_vae(json vae, const json& entry) {
    // A VAE entry: {"config": path|object, "weights": path | "random_init": seed}; paths resolved
    // against the model's config directory by the suite expansion when it knows them.
    if (vae.contains("config") && vae["config"].is_string())
      vae["config"] = read_json_file(vae["config"].get<std::string>());
    return vae;
  }
  std::unique_ptr<SampleGenerator> generator_;
};

// ---- the chunks -------------------------------------------------------------------------------

struct ChunkData {
  at::Tensor seeds, pool3, logits, spatial;
  double generate_s = 0, features_s = 0;
  json producer;  // what made the images (model, params, MACs, NFE), for the result
  std::vector<at::Tensor> first_images;  // the first few images, for the grid (never saved)
};

void save_chunk(const RunPlan& p, int64_t c, const ChunkData& d) {
  StateDict sd;
  std::vector<int64_t> seeds;
  sd.insert("seeds", d.seeds);
  sd.insert("pool3", d.pool3);
  if (d.logits.defined()) sd.insert("logits", d.logits);
  if (d.spatial.defined()) sd.insert("spatial", d.spatial);
  json meta = {{"run_id", p.run->id}, {"chunk", c}, {"weights_sha256", p.weights_sha256},
               {"generate_s", d.generate_s}, {"features_s", d.features_s}, {"producer", d.producer}};
  save_safetensors(chunk_file(p, c), sd, {{"diffbench_chunk", meta.dump()}});
}

ChunkData load_chunk(const RunPlan& p, int64_t c) {
  std::string file = chunk_file(p, c);
  auto sd = load_state_dict(file);
  ChunkData d;
  d.seeds = sd.at("seeds");
  d.pool3 = sd.at("pool3");
  if (sd.contains("logits")) d.logits = sd.at("logits");
  if (sd.contains("spatial")) d.spatial = sd.at("spatial");
  auto expected = p.chunk_seeds(c);
  bool same = d.seeds.numel() == static_cast<int64_t>(expected.size());
  for (int64_t i = 0; same && i < d.seeds.numel(); ++i)
    same = static_cast<uint64_t>(d.seeds[i].item<int64_t>()) == expected[i];
  if (!same) fail(file + ": holds other seeds than chunk " + std::to_string(c) + " of this run; delete " +
                  p.state_dir + " to start the run over");
  auto header = read_safetensors_metadata(file);
  if (!header.count("diffbench_chunk")) fail(file + ": no \"diffbench_chunk\" metadata; not a chunk diffbench wrote");
  json meta = parse_json(header.at("diffbench_chunk"), file + ": diffbench_chunk metadata");
  if (meta.value("run_id", std::string()) != p.run->id)
    fail(file + ": is a chunk of run \"" + meta.value("run_id", std::string()) + "\", not of \"" + p.run->id + "\"");
  if (meta.value("weights_sha256", std::string()) != p.weights_sha256)
    fail(file + ": was computed with other weights than this run's now (sha256 " +
         meta.value("weights_sha256", std::string()).substr(0, 12) + " vs " + p.weights_sha256.substr(0, 12) +
         "); delete " + p.state_dir + " to start the run over");
  d.generate_s = meta.value("generate_s", 0.0);
  d.features_s = meta.value("features_s", 0.0);
  d.producer = meta.value("producer", json::object());
  return d;
}

// keep_images: one lossless PNG per seed in <results>/<suite>/<run_id>/NNNNNN.png (never JPEG:
// the format changes FID).
void keep_pngs(const RunPlan& p, const std::vector<uint64_t>& seeds, const std::vector<at::Tensor>& images) {
  fs::path dir = p.result_file.substr(0, p.result_file.size() - 5);
  fs::create_directories(dir);
  for (size_t i = 0; i < images.size(); ++i) write_png((dir / seed_png_name(seeds[i])).string(), images[i]);
}

ChunkData compute_chunk(const RunPlan& p, int64_t c, Producer& producer, FeatureEngine& features,
                        Progress& progress, int keep_first) {
  auto seeds = p.chunk_seeds(c);
  ChunkData d;
  std::vector<at::Tensor> pool3, logits, spatial;
  // Batches never span chunks, so a resumed or sharded run forms exactly the same batches.
  for (size_t start = 0; start < seeds.size(); start += p.batch_size) {
    std::vector<uint64_t> batch(seeds.begin() + start,
                                seeds.begin() + std::min(seeds.size(), start + p.batch_size));
    auto t0 = std::chrono::steady_clock::now();
    auto images = producer.images(batch);
    auto t1 = std::chrono::steady_clock::now();
    auto f = features.extract(images, p.needs("is"), p.needs("sfid"));
    auto t2 = std::chrono::steady_clock::now();
    d.generate_s += std::chrono::duration<double>(t1 - t0).count();
    d.features_s += std::chrono::duration<double>(t2 - t1).count();
    for (auto& img : images)
      if (static_cast<int>(d.first_images.size()) < keep_first) d.first_images.push_back(img);
    if (p.entry.value("keep_images", false)) keep_pngs(p, batch, images);
    pool3.push_back(f.pool3);
    if (f.logits.defined()) logits.push_back(f.logits);
    if (f.spatial.defined()) spatial.push_back(f.spatial);
    progress.advance(static_cast<long>(batch.size()));
  }
  std::vector<int64_t> s(seeds.begin(), seeds.end());
  d.seeds = torch::tensor(s, torch::kInt64);
  d.pool3 = torch::cat(pool3);
  if (!logits.empty()) d.logits = torch::cat(logits);
  if (!spatial.empty()) d.spatial = torch::cat(spatial);
  d.producer = producer.describe();
  return d;
}

// ---- metrics ----------------------------------------------------------------------------------

json frechet_json(const FrechetResult& r) {
  return {{"mean_term", r.mean_term}, {"trace_sqrt", r.trace_sqrt}, {"method", method_name(r.method)},
          {"rank_deficient", r.rank_deficient}, {"eps_fallback", r.eps_fallback}};
}

void compute_metrics(const RunPlan& p, const std::vector<ChunkData>& chunks, const ReferenceFeatures& ref,
                     const FeatureEngine& engine, json& result) {
  const json& m = p.entry["metrics"];
  json common = {{"protocol", engine.protocol()}, {"inception", engine.weights_label()},
                 {"inception_sha256", engine.weights_sha256()}, {"num_samples", p.seeds.size()},
                 {"reference", ref.describe}};
  if (engine.is_stand_in())
    common["warning"] = "stand-in Inception (random weights): not comparable with published numbers";
  std::vector<at::Tensor> pool3, logits, spatial;
  RunningStats stats(2048, p.chunk_size), spatial_stats(kSfidChannels * 17 * 17, p.chunk_size);
  for (const auto& c : chunks) {
    pool3.push_back(c.pool3);
    stats.add(c.pool3);
    if (c.logits.defined()) logits.push_back(c.logits);
    if (c.spatial.defined()) {
      spatial.push_back(c.spatial);
      spatial_stats.add(c.spatial);
    }
  }
  if (p.needs("fid")) {
    auto r = frechet_distance(stats.stats(), ref.pool3_stats);
    // Per-chunk values give compare's bootstrap its noise estimate.
    std::vector<double> per_chunk;
    if (chunks.size() > 1)
      for (const auto& c : chunks) per_chunk.push_back(frechet_distance(feature_stats(c.pool3), ref.pool3_stats).value);
    json s = common;
    s.update(frechet_json(r));
    set_metric(result, "fid", r.value, s, per_chunk);
  }
  if (p.needs("sfid")) {
    auto r = sfid(spatial_stats.stats(), ref.spatial_stats);
    json s = common;
    s.update(frechet_json(r));
    set_metric(result, "sfid", r.value, s);
  }
  if (p.needs("is")) {
    int splits = m["is"].value("splits", 10);
    auto r = inception_score(torch::cat(logits), splits);
    json s = common;
    s["splits"] = splits;
    s["std"] = r.std;
    set_metric(result, "is", r.mean, s, r.split_scores);
  }
  auto gen = torch::cat(pool3);
  if (p.needs("kid")) {
    KidOptions o;
    o.subsets = m["kid"].value("subsets", 100);
    o.max_subset_size = m["kid"].value("subset_size", 1000);
    o.seed = m["kid"].value("seed", 0);
    auto r = kernel_inception_distance(ref.pool3, gen, o);
    json s = common;
    s.update({{"std", r.std}, {"subsets", r.subsets}, {"subset_size", r.subset_size}, {"seed", r.seed},
              {"small_subsets", r.small_subsets}});
    set_metric(result, "kid", r.mean, s, r.values);
  }
  if (p.needs("pr")) {
    PrecisionRecallOptions o;
    o.k = m["pr"].value("k", 3);
    auto r = precision_recall(ref.pool3, gen, o);
    json s = common;
    s.update({{"k", r.k}, {"n_real", r.n_real}, {"n_gen", r.n_gen}});
    set_metric(result, "precision", r.precision, s);
    set_metric(result, "recall", r.recall, s);
  }
}

// ---- outputs -----------------------------------------------------------------------------------

// A PNG grid of the first (up to 64) samples beside the result.
void write_grid(const RunPlan& p, const std::vector<at::Tensor>& images) {
  if (images.empty()) return;
  std::string path = p.result_file.substr(0, p.result_file.size() - 5) + ".png";
  fs::create_directories(fs::path(path).parent_path());
  write_png_grid(path, images, 0, 2);
  info("grid: " + path);
}

json finalize(const Suite& suite, const RunSpec& run, const RunPlan& p, const RunOptions& o,
              const FeatureEngine& engine, const ReferenceFeatures& ref, const json& profile, int threads, const c10::Device& device, const std::string& started, double wall_s) {
  std::vector<ChunkData> chunks;
  double generate_s = 0, features_s = 0;
  for (int64_t c = 0; c < p.chunks(); ++c) {
    if (!file_exists(chunk_file(p, c)))
      fail(chunk_file(p, c) + ": missing; run the remaining shards (or --resume) before merging");
    chunks.push_back(load_chunk(p, c));
    generate_s += chunks.back().generate_s;
    features_s += chunks.back().features_s;
  }
  json result = new_result(suite, run);
  compute_metrics(p, chunks, ref, engine, result);
  double n = static_cast<double>(p.seeds.size());
  json perf = chunks.front().producer;
  perf["batch_size"] = p.batch_size;
  perf["generate_s"] = generate_s;
  perf["features_s"] = features_s;
  perf["images_per_s"] = generate_s > 0 ? n / generate_s : 0.0;
  perf["features_images_per_s"] = features_s > 0 ? n / features_s : 0.0;
  if (perf.value("kind", "") == "generator") {
    perf["quantize"] = p.entry["model"].value("quantize", "round");
    perf["precision"] = p.entry.value("precision", "fp32");
    perf["tf32"] = p.entry.value("tf32", false);
  }
  if (!profile.is_null()) perf["profile"] = profile;
  result["performance"] = perf;
  result["provenance"] = make_provenance(suite.sha256_file, device_description(device), threads, p.entry["seeds"],
                                         started, wall_s);
  result["provenance"]["chunk_size"] = p.chunk_size;
  result["provenance"]["chunks"] = p.chunks();
  if (!p.weights_sha256.empty()) result["provenance"]["weights_sha256"] = p.weights_sha256;
  write_result(p.result_file, result, o.force || o.resume);
  return result;
}

// ---- one run ----------------------------------------------------------------------------------

struct RunOutcome {
  std::string id, status;
  json result;
};

std::vector<int64_t> my_chunks(const RunPlan& p, const RunOptions& o) {
  std::vector<int64_t> out;
  for (int64_t c = 0; c < p.chunks(); ++c)
    if (c % o.shard_count == o.shard_index) out.push_back(c);
  return out;
}

bool sharded(const RunOptions& o) { return o.shard_count > 1; }

std::unique_ptr<Producer> make_producer(const Suite& suite, const json& entry, c10::Device device) {
  if (entry["model"]["kind"] == "images")
    return std::make_unique<DatasetProducer>(dataset_entry(suite, entry["model"]["images"]));
  return std::make_unique<ModelProducer>(entry, device);
}

// What running and merging both need before touching chunks: the clock, threads, device, the
// Inception and the reference (first, so a missing reference fails before any sampling), and the
// weights' hash the chunks are checked against (hashed here, not in make_plan, so runs skipped as
// finished never read their weights).
struct RunSetup {
  std::string started = utc_now_iso8601();
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
  int threads = 0;
  c10::Device device = c10::Device(c10::kCPU);
  std::unique_ptr<FeatureEngine> engine;
  ReferenceFeatures ref;
  double elapsed() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); }
};

RunSetup set_up(RunPlan& p, const RunOptions& o) {
  RunSetup s;
  p.weights_sha256 = weights_fingerprint(p.entry);
  s.threads = configure_threads(o.threads >= 0 ? o.threads : p.entry["threads"].get<int>());
  s.device = resolve_device(o.device.empty() ? p.entry["device"].get<std::string>() : o.device);
  s.engine = std::make_unique<FeatureEngine>(p.entry["metrics"], s.device, p.batch_size);
  s.ref = reference_features(p.entry["metrics"], *s.engine, p.needs("kid") || p.needs("pr"), p.needs("sfid"));
  return s;
}

RunOutcome execute(const Suite& suite, const RunSpec& run, const RunOptions& o) {
  RunPlan p = make_plan(suite, run, o);
  RunOutcome out{run.id, "", {}};
  bool exists = file_exists(p.result_file);
  if (exists && !o.force && !sharded(o)) {
    if (o.resume) {
      out.result = read_result(p.result_file);
      // The file name alone proves nothing: a result copied or renamed from another run is refused.
      if (out.result.value("run_id", std::string()) != run.id)
        fail(p.result_file + ": holds run \"" + out.result.value("run_id", std::string()) + "\", not \"" + run.id +
             "\"; pass --force to recompute it");
      info("run " + run.id + ": finished earlier (" + p.result_file + "), skipped");
      out.status = "done earlier";
      return out;
    }
    fail(p.result_file + ": a result of this run exists; pass --resume to keep it or --force to recompute it");
  }
  // A fresh start forgets old checkpoints; shards share the folder, so each leaves the others' alone.
  if (!o.resume && !sharded(o) && fs::exists(p.state_dir)) fs::remove_all(p.state_dir);
  fs::create_directories(p.state_dir);

  RunSetup setup = set_up(p, o);
  FeatureEngine& engine = *setup.engine;
  const c10::Device device = setup.device;
  auto producer = make_producer(suite, p.entry, device);

  auto todo = my_chunks(p, o);
  int64_t total = 0;
  for (auto c : todo) total += static_cast<int64_t>(p.chunk_seeds(c).size());
  Progress progress("run " + run.id, total, "img");
  // Tests simulate a crash: the process dies abruptly after this many chunks were checkpointed.
  const char* crash = std::getenv("DIFFBENCH_CRASH_AFTER_CHUNKS");
  int chunks_saved = 0;
  for (auto c : todo) {
    if (o.resume && file_exists(chunk_file(p, c))) {
      progress.skip(static_cast<long>(p.chunk_seeds(c).size()));
      continue;
    }
    int grid = c == 0 ? std::min<int>(64, p.entry.value("grid", 0)) : 0;
    auto d = compute_chunk(p, c, *producer, engine, progress, grid);
    save_chunk(p, c, d);
    if (crash && ++chunks_saved >= std::atoi(crash)) std::_Exit(137);
    if (grid > 0) write_grid(p, d.first_images);
  }
  progress.finish();
  // The suite's profile block: the network call timed at each batch size, after warm-up.
  json profile;
  auto* model_producer = dynamic_cast<ModelProducer*>(producer.get());
  if (suite.json.contains("profile") && model_producer && !sharded(o)) {
    const json& pb = p.entry["profile"];
    ProfileOptions po;
    po.batch_sizes = pb.value("batch_sizes", std::vector<int>{1, 8, 32});
    po.repeats = pb.value("repeats", 3);
    po.warmup = pb.value("warmup", 1);
    po.steps = static_cast<int>(model_producer->generator().nfe_per_image());
    po.device = device;
    po.precision = entry_precision(p.entry);
    profile = profile_model(model_producer->generator().model(), po);
  }
  if (sharded(o)) {
    info("run " + run.id + ": shard " + std::to_string(o.shard_index) + "/" + std::to_string(o.shard_count) +
         " done; combine the shards with `diffbench merge`");
    out.status = "shard done";
    return out;
  }
  out.result = finalize(suite, run, p, o, engine, setup.ref, profile, setup.threads, device, setup.started,
                        setup.elapsed());
  out.status = "done";
  return out;
}

}  // namespace

static void print_plan(const Suite& suite, const std::vector<RunSpec>& runs, const RunOptions& o) {
  std::cout << "suite " << suite.name() << " (" << suite.file << ", sha256 " << suite.sha256_file.substr(0, 12)
            << "): " << runs.size() << " run(s)";
  if (o.shard_count > 1) std::cout << ", shard " << o.shard_index << "/" << o.shard_count;
  std::cout << "\n";
  for (const auto& r : runs) {
    const json& e = r.entry;
    std::cout << "  " << r.id << ": " << e["metrics"]["num_samples"].get<int64_t>() << " samples, "
              << e["metrics"]["protocol"].get<std::string>();
    if (e["sampler"].is_object())
      std::cout << ", " << e["sampler"]["kind"].get<std::string>() << " " << e["sampler"]["steps"].get<int64_t>()
                << " steps";
    std::cout << "\n";
  }
}

static std::string fmt(const json& result, const std::string& key) {
  auto v = result_value(result, key);
  if (!v) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, std::abs(*v) >= 1000 ? "%.0f" : "%.4g", *v);
  return buf;
}

static void print_summary(const std::vector<json>& results) {
  if (results.empty()) return;
  std::vector<std::string> cols = {"fid", "is", "kid", "precision", "recall", "sfid", "images_per_s"};
  std::cout << "\n| run | " ;
  for (const auto& c : cols) std::cout << c << " | ";
  std::cout << "\n|---|";
  for (size_t i = 0; i < cols.size(); ++i) std::cout << "---|";
  std::cout << "\n";
  bool stand_in = false;
  for (const auto& r : results) {
    std::cout << "| " << r.value("run_id", "?") << " | ";
    for (const auto& c : cols) std::cout << fmt(r, c) << " | ";
    std::cout << "\n";
    if (r.contains("metrics"))
      for (const auto& m : r["metrics"])
        if (m.is_object() && m.contains("warning")) stand_in = true;
  }
  if (stand_in)
    std::cout << "\nNote: computed with the stand-in Inception (random weights): compare these numbers only with "
                 "each other, never with published ones.\n";
}

int run_suite(const Suite& suite, const RunOptions& o) {
  auto runs = expand(suite);
  std::vector<RunSpec> selected;
  for (const auto& r : runs)
    if (selected_by(r, o.only)) selected.push_back(r);
  if (selected.empty()) fail(suite.file + ": no run matches --only \"" + o.only + "\"");
  print_plan(suite, selected, o);
  if (o.plan_only) return 0;
  std::vector<json> results;
  for (const auto& r : selected) {
    auto outcome = execute(suite, r, o);
    if (outcome.result.is_object() && !outcome.result.empty()) results.push_back(outcome.result);
  }
  print_summary(results);
  return 0;
}

int merge_suite(const Suite& suite, const RunOptions& o) {
  std::vector<json> results;
  for (const auto& run : expand(suite)) {
    if (!selected_by(run, o.only)) continue;
    RunPlan p = make_plan(suite, run, o);
    if (file_exists(p.result_file) && !o.force) {
      info("merge " + run.id + ": result exists, kept (" + p.result_file + ")");
      results.push_back(read_result(p.result_file));
      continue;
    }
    RunSetup setup = set_up(p, o);
    RunOptions merged = o;
    merged.force = true;  // the shards left no result; write it
    results.push_back(finalize(suite, run, p, merged, *setup.engine, setup.ref, json(), setup.threads, setup.device,
                               setup.started, setup.elapsed()));
    info("merge " + run.id + ": " + p.result_file);
  }
  print_summary(results);
  return 0;
}

}  // namespace diffbench

