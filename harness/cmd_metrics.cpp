// `diffbench stats`, `fid` and `metrics`: the pytorch-fid-style commands other tools call.
// A thin layer over metrics/: parse, open the sources, extract, compute, print.
#include <charconv>
#include <iostream>
#include <sstream>

#include "common/error.h"
#include "common/files.h"
#include "common/log.h"
#include "common/runtime.h"
#include "data/source.h"
#include "harness/args.h"
#include "harness/commands.h"
#include "io/state_dict.h"
#include "metrics/features.h"
#include "metrics/frechet.h"
#include "metrics/inception_score.h"
#include "metrics/kid.h"
#include "metrics/precision_recall.h"
#include "metrics/reference_stats.h"
#include "metrics/running_stats.h"
#include "metrics/sfid.h"
#include "metrics/stats_cache.h"

namespace diffbench {

namespace {

// Python's repr of a float: the shortest text that reads back to the same double.
std::string repr(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, r.ptr);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

void add_extractor_options(Args& args) {
  args.required_option("--inception", "W", "pt_inception-2015-12-05-6726825d.pth (any container), or random:SEED");
  args.option("--protocol", "P", "input protocol: pytorch-fid or tf", "pytorch-fid");
  args.option("--batch", "N", "images per forward pass", "50");
  args.option("--device", "D", "cpu, cuda, cuda:N or auto", "auto");
  args.option("--threads", "N", "CPU threads, 0 = all cores", "0");
  args.option("--split", "S", "train or test, for CIFAR-10 and idx sources", "train");
  args.flag("--no-cache", "do not read or write the statistics cache");
}

FeatureExtractorOptions extractor_options(const Args& args) {
  configure_threads(args.get_int("--threads"));
  FeatureExtractorOptions o;
  o.weights = args.get("--inception");
  o.protocol = args.get("--protocol");
  o.batch_size = args.get_int("--batch");
  o.device = resolve_device(args.get("--device"));
  o.progress = !is_quiet();
  return o;
}

// A statistics file: an .npz holding mu and sigma (pytorch-fid, ADM, EDM, diffbench).
bool is_stats_file(const std::string& path) {
  if (path.size() < 4 || path.substr(path.size() - 4) != ".npz" || !file_exists(path)) return false;
  return !read_reference_stats(path).needs_compute();
}

std::string identity_of(const FeatureExtractor& extractor) {
  return inception_identity(extractor.is_stand_in(), extractor.weights().label, extractor.weights().sha256);
}

// One side of a comparison: statistics always; features and logits when a metric needs them.
struct Side {
  std::string path;
  int64_t images = 0;
  FeatureStats pool, spatial;  // undefined below 2 images (no covariance)
  at::Tensor pool3, logits;  // undefined unless asked for
  nlohmann::json describe;
};

Side load_side(const std::string& path, FeatureExtractor& extractor, const Args& args, bool need_features,
               bool need_logits, bool need_spatial) {
  Side side;
  side.path = path;
  if (is_stats_file(path)) {
    if (need_features || need_logits)
      fail(path + ": a statistics file holds only mu and sigma; IS, KID and precision/recall need images");
    auto stats = read_reference_stats(path);
    check_stats_compatible(stats, path, args.get("--protocol"), identity_of(extractor));
    if (need_spatial && !stats.spatial.mu.defined())
      fail(path + ": sFID needs mu_s and sigma_s; this statistics file has none");
    side.pool = stats.pool;
    side.spatial = stats.spatial;
    side.images = stats.pool.count;
    side.describe = {{"stats_file", path}, {"sha256", stats.sha256},
                     {"protocol", stats.protocol.empty() ? nlohmann::json(nullptr) : nlohmann::json(stats.protocol)}};
    return side;
  }
  SourceOptions so;
  so.split = args.get("--split");
  auto source = open_source(path, so);
  std::string weights_hash = extractor.is_stand_in() ? extractor.weights().label : extractor.weights().sha256;
  StatsCacheKey key{source->content_hash(), args.get("--protocol"), weights_hash, "pool3", source->size()};
  StatsCache cache;
  bool use_cache = !args.has("--no-cache") && !need_features && !need_logits && !need_spatial;
  if (use_cache) {
    if (auto hit = cache.lookup(key)) {
      info(path + ": statistics from the cache (" + cache.path_for(key) + ")");
      side.pool = hit->pool;
      side.images = hit->pool.count;
      side.describe = {{"source", path}, {"images", source->size()}, {"cache", "hit"}};
      return side;
    }
  }
  FeatureLayers layers;
  layers.logits = need_logits;
  layers.spatial = need_spatial;
  RunningStats pool(2048), spatial(kSfidChannels * 17 * 17);
  ExtractOptions eo;
  eo.keep = need_features || need_logits;
  eo.label = path;
  eo.on_batch = [&](const FeatureBatch& b) {
    pool.add(b.pool3);
    if (need_spatial) spatial.add(b.spatial);
  };
  auto all = extractor.extract(*source, layers, eo);
  side.images = pool.count();
  if (pool.count() >= 2) side.pool = pool.stats();
  if (need_spatial && spatial.count() >= 2) side.spatial = spatial.stats();
  if (need_features) side.pool3 = all.pool3;
  if (need_logits) side.logits = all.logits;
  side.describe = {{"source", path}, {"kind", source->kind()}, {"images", source->size()}};
  if (use_cache && side.pool.mu.defined()) {
    ReferenceStats rs;
    rs.pool = side.pool;
    rs.protocol = args.get("--protocol");
    rs.inception = identity_of(extractor);
    cache.store(key, rs);
  }
  return side;
}

// The statistics FID needs (mu and a covariance): Error naming the side with fewer than 2 images.
const FeatureStats& stats_of(const Side& side, bool spatial = false) {
  const FeatureStats& s = spatial ? side.spatial : side.pool;
  if (!s.mu.defined())
    fail(side.path + ": " + std::to_string(side.images) + " image(s); " + (spatial ? "sFID" : "FID and statistics") +
         " need at least 2 (a covariance)");
  return s;
}

FrechetResult frechet_of(const Side& a, const Side& b) {
  const FeatureStats &sa = stats_of(a), &sb = stats_of(b);
  if (sa.mu.size(0) != sb.mu.size(0))
    fail(b.path + ": " + std::to_string(sb.mu.size(0)) + "-d statistics, but " + a.path + " has " +
         std::to_string(sa.mu.size(0)) + "-d; expected both 2048-d pool3");
  try {
    return frechet_distance(sa, sb);
  } catch (const Error& e) {
    fail(a.path + " vs " + b.path + ": " + e.what());  // which files the statistics came from
  }
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace

int cmd_stats(const CommandArgs& argv) {
  Args args("diffbench stats SOURCE --inception W [--protocol P] --out S.npz [--force]",
            "Compute the pool3 statistics (mu, sigma; float64, N-1) of SOURCE and write them as a\n"
            "pytorch-fid-compatible .npz (plus `protocol` and `n` arrays that pytorch-fid ignores).");
  args.positional("SOURCE", "image folder, dataset .zip, .npz, CIFAR-10 or idx folder");
  add_extractor_options(args);
  args.required_option("--out", "S.npz", "output file (written atomically)");
  args.flag("--force", "replace --out if it exists");
  args.parse(argv);
  check_output_file(args.get("--out"), args.has("--force"), {args.get("SOURCE"), args.get("--inception")});
  FeatureExtractor extractor(extractor_options(args));
  Side side = load_side(args.get("SOURCE"), extractor, args, false, false, false);
  ReferenceStats rs;
  rs.pool = stats_of(side);
  rs.protocol = args.get("--protocol");
  rs.inception = identity_of(extractor);
  std::string sha = write_reference_stats(args.get("--out"), rs);
  std::cout << args.get("--out") << ": " << side.pool.count << " images, protocol " << rs.protocol << ", sha256 "
            << sha << "\n";
  if (extractor.is_stand_in())
    warn("stand-in Inception (" + args.get("--inception") + "): these statistics are not comparable with published ones");
  return 0;
}

int cmd_fid(const CommandArgs& argv) {
  Args args("diffbench fid A B --inception W [--protocol P]",
            "Print the FID between A and B (image sources or statistics .npz files) as pytorch-fid does.");
  args.positional("A", "image source or statistics .npz");
  args.positional("B", "image source or statistics .npz");
  add_extractor_options(args);
  args.parse(argv);
  FeatureExtractor extractor(extractor_options(args));
  Side a = load_side(args.get("A"), extractor, args, false, false, false);
  Side b = load_side(args.get("B"), extractor, args, false, false, false);
  auto r = frechet_of(a, b);
  if (r.eps_fallback) warn("a covariance product was singular: eps*I added as pytorch-fid does");
  if (r.rank_deficient) warn("fewer samples than feature dimensions: a covariance is rank-deficient");
  if (extractor.is_stand_in())
    warn("stand-in Inception (" + args.get("--inception") + "): this FID is not comparable with published ones");
  std::cout << "FID:  " << repr(r.value) << "\n";
  return 0;
}

int cmd_metrics(const CommandArgs& argv) {
  Args args("diffbench metrics A B --inception W [--protocol P] [--metrics fid,is,kid,pr,sfid] --json",
            "Every metric of B (generated) against A (real) as one JSON object: FID, IS of B, KID,\n"
            "precision and recall of B against A, sFID, with the settings used.");
  args.positional("A", "the real images (source, or statistics .npz for fid/sfid only)");
  args.positional("B", "the generated images");
  add_extractor_options(args);
  args.option("--metrics", "LIST", "which metrics", "fid,is,kid,pr");
  args.option("--kid-subsets", "N", "KID subsets", "100");
  args.option("--kid-subset-size", "N", "KID subset size (at most the sample counts)", "1000");
  args.option("--kid-seed", "S", "seed of the KID subsets", "0");
  args.option("--pr-k", "K", "neighbourhood size of precision/recall", "3");
  args.option("--is-splits", "N", "Inception Score splits", "10");
  args.flag("--json", "print JSON (the default and only format)");
  args.parse(argv);
  auto wanted = split_list(args.get("--metrics"));
  if (wanted.empty()) fail("--metrics: empty; expected a comma-separated list of fid, is, kid, pr, sfid");
  for (const auto& m : wanted)
    if (m != "fid" && m != "is" && m != "kid" && m != "pr" && m != "sfid")
      fail("--metrics: unknown metric \"" + m + "\"; expected fid, is, kid, pr or sfid");
  auto needs = [&](const char* m) { return std::find(wanted.begin(), wanted.end(), m) != wanted.end(); };
  // Settings are checked before any image is read: a typo must not cost the feature extraction.
  for (const char* name : {"--is-splits", "--kid-subsets", "--kid-subset-size", "--pr-k"})
    if (args.get_int(name) < 1) fail(std::string(name) + ": expected a positive integer, got " + args.get(name));
  if (args.get_int("--kid-seed") < 0) fail("--kid-seed: expected a non-negative integer, got " + args.get("--kid-seed"));
  bool features = needs("kid") || needs("pr");
  FeatureExtractor extractor(extractor_options(args));
  Side a = load_side(args.get("A"), extractor, args, features, false, needs("sfid"));
  Side b = load_side(args.get("B"), extractor, args, features, needs("is"), needs("sfid"));
  // Settings that depend on the image counts, named by their flag.
  const int64_t smaller = std::min(a.images, b.images);
  if (needs("is") && b.images < args.get_int("--is-splits"))
    fail("--is-splits " + args.get("--is-splits") + ": " + b.path + " has " + std::to_string(b.images) +
         " images; expected at most one split per image");
  if (needs("pr") && smaller <= args.get_int("--pr-k"))
    fail("--pr-k " + args.get("--pr-k") + ": " + (a.images <= b.images ? a.path : b.path) + " has " +
         std::to_string(smaller) + " images; each needs k other images (expected k < " + std::to_string(smaller) + ")");
  if (needs("kid") && std::min<int64_t>(smaller, args.get_int("--kid-subset-size")) < 2)
    fail("--kid-subset-size " + args.get("--kid-subset-size") + ": KID subsets need at least 2 images each (" +
         a.path + " has " + std::to_string(a.images) + ", " + b.path + " has " + std::to_string(b.images) + ")");

  nlohmann::json out = {{"A", a.describe}, {"B", b.describe}, {"protocol", args.get("--protocol")},
                        {"inception", extractor.describe()}};
  if (extractor.is_stand_in()) out["warning"] = "stand-in Inception: not comparable with published numbers";
  if (needs("fid")) {
    auto r = frechet_of(a, b);
    out["fid"] = r.value;
    out["fid_details"] = {{"method", method_name(r.method)}, {"rank_deficient", r.rank_deficient},
                          {"eps_fallback", r.eps_fallback}};
  }
  if (needs("sfid")) out["sfid"] = sfid(stats_of(a, true), stats_of(b, true)).value;
  if (needs("is")) {
    auto r = inception_score(b.logits, args.get_int("--is-splits"));
    out["is_mean"] = r.mean;
    out["is_std"] = r.std;
    out["is_splits"] = args.get_int("--is-splits");
  }
  if (needs("kid")) {
    KidOptions o;
    o.subsets = args.get_int("--kid-subsets");
    o.max_subset_size = args.get_int("--kid-subset-size");
    o.seed = static_cast<uint64_t>(args.get_int("--kid-seed"));
    auto r = kernel_inception_distance(a.pool3, b.pool3, o);
    out["kid_mean"] = r.mean;
    out["kid_std"] = r.std;
    out["kid_subsets"] = r.subsets;
    out["kid_subset_size"] = r.subset_size;
    out["kid_seed"] = r.seed;
    if (r.small_subsets) warn("KID subsets of " + std::to_string(r.subset_size) + " < 1000 images: not comparable with published KID");
  }
  if (needs("pr")) {
    PrecisionRecallOptions o;
    o.k = args.get_int("--pr-k");
    auto r = precision_recall(a.pool3, b.pool3, o);
    out["precision"] = r.precision;
    out["recall"] = r.recall;
    out["pr_k"] = r.k;
  }
  std::cout << out.dump(2) << "\n";
  return 0;
}

}  // namespace diffbench
