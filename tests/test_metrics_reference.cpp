// Reference-statistics files (pytorch-fid, EDM, ADM, our own) and the content-addressed cache.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <sys/wait.h>
#include <unistd.h>

#include "build_info.h"
#include "common/error.h"
#include "common/files.h"
#include "common/hash.h"
#include "io/npz.h"
#include "metrics/reference_stats.h"
#include "metrics/stats_cache.h"

using namespace diffbench;
namespace fs = std::filesystem;

namespace {

std::string fixture(const std::string& name) { return std::string(DIFFBENCH_SOURCE_DIR) + "/tests/data/metrics/" + name; }

nlohmann::json expected() {
  std::ifstream in(fixture("expected.json"));
  return nlohmann::json::parse(in);
}

fs::path temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("diffbench_metrics_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

// Runs the diffbench binary with args; returns its exit status and, in out, stdout and stderr.
int run_diffbench(const std::string& args, std::string* out) {
  const std::string cmd = std::string(DIFFBENCH_BINARY) + " " + args + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  out->clear();
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe)) *out += buf;
  return WEXITSTATUS(::pclose(pipe));
}

ReferenceStats small_stats(const std::string& protocol) {
  ReferenceStats s;
  s.pool.mu = at::arange(4, at::kDouble) / 3.0;
  s.pool.sigma = at::eye(4, at::kDouble) * (1.0 / 7.0);
  s.pool.count = 123;
  s.protocol = protocol;
  return s;
}

}  // namespace

TEST_CASE("reference statistics: pytorch-fid, EDM and ADM files are read", "[metrics]") {
  auto e = expected();
  for (const char* name : {"pytorch_fid_stats.npz", "edm_stats.npz"}) {
    ReferenceStats s = read_reference_stats(fixture(name));
    REQUIRE(s.pool.sigma.sizes() == at::IntArrayRef({16, 16}));
    CHECK(s.pool.mu[0].item<double>() == e["stats_mu0"].get<double>());
    CHECK(s.pool.sigma[3][5].item<double>() == e["stats_sigma_3_5"].get<double>());
    CHECK(s.protocol.empty());
    CHECK(s.sha256 == sha256_file(fixture(name)));
    CHECK_FALSE(s.needs_compute());
  }
  ReferenceStats adm = read_reference_stats(fixture("adm_ref.npz"));
  CHECK(adm.spatial.sigma.sizes() == at::IntArrayRef({8, 8}));
  CHECK(adm.images_key == "arr_0");
  CHECK_FALSE(adm.needs_compute());
  ReferenceStats images = read_reference_stats(fixture("adm_images.npz"));
  CHECK(images.needs_compute());
  CHECK_FALSE(images.pool.mu.defined());
}

TEST_CASE("reference statistics: our files round-trip with protocol, n and hash", "[metrics]") {
  fs::path dir = temp_dir("refstats");
  std::string path = (dir / "stats.npz").string();
  ReferenceStats s = small_stats("pytorch_fid");
  std::string sha = write_reference_stats(path, s);
  CHECK(sha == sha256_file(path));
  ReferenceStats back = read_reference_stats(path);
  CHECK(back.protocol == "pytorch_fid");
  CHECK(back.pool.count == 123);
  CHECK(at::equal(back.pool.mu, s.pool.mu));  // float64 all the way (pitfall 6)
  CHECK(at::equal(back.pool.sigma, s.pool.sigma));
  CHECK(back.sha256 == sha);
  std::string bad = (dir / "bad.npz").string();
  std::vector<std::pair<std::string, at::Tensor>> arrays{{"mu", at::zeros({3}, at::kDouble)},
                                                         {"sigma", at::zeros({3, 2}, at::kDouble)}};
  write_npz(bad, arrays);
  CHECK_THROWS_WITH(read_reference_stats(bad), bad + ": 'sigma' must be [3, 3], got [3, 2]");
  std::vector<std::pair<std::string, at::Tensor>> other{{"x", at::zeros({3})}};
  write_npz(bad, other);
  CHECK_THROWS_WITH(read_reference_stats(bad),
                    bad + ": not reference statistics: expected arrays 'mu' and 'sigma' (or ADM images 'arr_0')");
  fs::remove_all(dir);
}

TEST_CASE("statistics cache: hit on the same content, miss when a file changes", "[metrics]") {
  fs::path dir = temp_dir("cache");
  std::string image = (dir / "img.bin").string();
  write_file_atomic(image, "first image bytes");
  StatsCache cache((dir / "stats").string());
  StatsCacheKey key{sha256_file(image), "pytorch_fid", std::string(64, 'a'), "pool3", 123};
  CHECK_FALSE(cache.lookup(key).has_value());
  std::string entry = cache.store(key, small_stats(""));
  CHECK(entry == (dir / "stats" / (key.digest() + ".npz")).string());
  auto hit = cache.lookup(key);
  REQUIRE(hit.has_value());
  CHECK(hit->protocol == "pytorch_fid");
  CHECK(at::equal(hit->pool.sigma, small_stats("").pool.sigma));
  write_file_atomic(image, "first image bytes, edited");  // changed content -> new key -> miss
  StatsCacheKey changed = key;
  changed.source_hash = sha256_file(image);
  CHECK_FALSE(cache.lookup(changed).has_value());
  StatsCacheKey other_layer = key;
  other_layer.layer = "spatial";
  CHECK(other_layer.digest() != key.digest());
  write_file_atomic(entry, "not a zip");  // a damaged entry is a miss, not an error
  CHECK_FALSE(cache.lookup(key).has_value());
  fs::remove_all(dir);
}

TEST_CASE("statistics cache: DIFFBENCH_CACHE chooses the directory", "[metrics]") {
  const char* old = std::getenv("DIFFBENCH_CACHE");
  std::string saved = old ? old : "";
  ::setenv("DIFFBENCH_CACHE", "/tmp/somewhere/stats", 1);
  CHECK(StatsCache::default_dir() == "/tmp/somewhere/stats");
  ::unsetenv("DIFFBENCH_CACHE");
  CHECK(StatsCache::default_dir() == std::string(std::getenv("HOME")) + "/.cache/diffbench/stats");
  if (old) ::setenv("DIFFBENCH_CACHE", saved.c_str(), 1);
}

TEST_CASE("reference statistics: a sigma with a negative variance is refused, naming the file", "[metrics]") {
  fs::path dir = temp_dir("negative");
  ReferenceStats s = small_stats("pytorch-fid");
  s.pool.sigma = -s.pool.sigma;  // "negative-definite": pytorch-fid would print a meaningless number
  const std::string path = (dir / "neg.npz").string();
  write_reference_stats(path, s);
  CHECK_THROWS_WITH(read_reference_stats(path),
                    path + ": 'sigma' is not a covariance matrix: a diagonal entry (variance) is -0.142857, "
                           "expected >= 0");
  fs::remove_all(dir);
}

TEST_CASE("metrics CLI: a bad metric setting is refused before any image is read", "[metrics]") {
  // The sources do not exist: the setting's error must come first, with one line and exit status 1.
  for (const char* option : {"--pr-k 0", "--is-splits -1", "--kid-subsets 0", "--kid-seed -3"}) {
    INFO(option);
    std::string out;
    CHECK(run_diffbench("metrics /nonexistent/a /nonexistent/b --inception random:0 " + std::string(option), &out) == 1);
    const std::string name = std::string(option).substr(0, std::string(option).find(' '));
    CHECK(out.find(name + ": expected a") != std::string::npos);
    CHECK(out.find("/nonexistent") == std::string::npos);
  }
}

TEST_CASE("features and stats CLI: an existing --out is kept unless --force, checked before any image", "[metrics]") {
  // pytorch-fid's --save-stats refuses an existing output too; a mistyped path must not cost an
  // hour of Inception work first, nor replace a reference file.
  fs::path dir = temp_dir("out_exists");
  for (const char* verb : {"features", "stats"}) {
    INFO(verb);
    const std::string target = (dir / (std::string(verb) + ".out")).string();
    std::ofstream(target) << "earlier result";
    const std::string base = std::string(verb) + " /nonexistent/images --inception random:0 --out " + target;
    std::string out;
    CHECK(run_diffbench(base, &out) == 1);
    CHECK(out == "diffbench: error: " + target + ": already exists; pass --force to replace it\n");
    // With --force the check passes and the next error is the missing source; the file is intact.
    CHECK(run_diffbench(base + " --force", &out) == 1);
    CHECK(out.find("/nonexistent/images") != std::string::npos);
    CHECK(read_file(target) == "earlier result");
    // A folder is never a target, --force or not.
    CHECK(run_diffbench(std::string(verb) + " /nonexistent/images --inception random:0 --force --out " + dir.string(), &out) == 1);
    CHECK(out.find("exists and is not a regular file") != std::string::npos);
  }
  fs::remove_all(dir);
}

TEST_CASE("statistics record the Inception that made them; a stand-in mismatch is refused", "[metrics]") {
  fs::path dir = temp_dir("identity");
  ReferenceStats s = small_stats("pytorch-fid");
  s.inception = inception_identity(true, "random:0", "");
  const std::string path = (dir / "s.npz").string();
  write_reference_stats(path, s);
  const ReferenceStats r = read_reference_stats(path);
  CHECK(r.inception == "random:0");
  CHECK(r.protocol == "pytorch-fid");
  CHECK_NOTHROW(check_stats_compatible(r, path, "pytorch-fid", "random:0"));
  CHECK_THROWS_WITH(check_stats_compatible(r, path, "pytorch-fid", "random:1"),
                    path + ": statistics were computed with Inception random:0 but this run uses random:1; a stand-in "
                           "network's numbers compare only with its own");
  CHECK_THROWS_WITH(check_stats_compatible(r, path, "pytorch-fid", inception_identity(false, "w.pth", "ab12")),
                    Catch::Contains("with Inception random:0 but this run uses sha256:ab12"));
  CHECK_THROWS_WITH(check_stats_compatible(r, path, "tf", "random:0"),
                    Catch::Contains("computed with protocol \"pytorch-fid\" but this run uses \"tf\""));
  // Two real weights files may be one network in two containers: a warning, not an error.
  ReferenceStats real = r;
  real.inception = inception_identity(false, "a.pth", "aaaa");
  CHECK_NOTHROW(check_stats_compatible(real, path, "pytorch-fid", inception_identity(false, "b.safetensors", "bbbb")));
  // pytorch-fid's files record neither field: they pass.
  ReferenceStats plain = r;
  plain.inception.clear();
  plain.protocol.clear();
  CHECK_NOTHROW(check_stats_compatible(plain, path, "tf", "random:7"));
  fs::remove_all(dir);
}

TEST_CASE("metrics CLI: counts and settings that cannot work are named by file and flag", "[metrics]") {
  fs::path dir = temp_dir("counts");
  const std::string one = (dir / "one.npz").string(), three = (dir / "three.npz").string();
  write_npz(one, {{"arr_0", at::full({1, 8, 8, 3}, 100, at::kByte)}});
  write_npz(three, {{"arr_0", at::arange(3 * 8 * 8 * 3, at::kInt).remainder(251).to(at::kByte).reshape({3, 8, 8, 3})}});
  const std::string base = "--inception random:0 --no-cache --threads 2 ";
  std::string out;
  CHECK(run_diffbench("fid " + three + " " + one + " " + base, &out) == 1);
  CHECK(out.find("diffbench: error: " + one + ": 1 image(s); FID and statistics need at least 2 (a covariance)") !=
        std::string::npos);
  CHECK(run_diffbench("metrics " + three + " " + one + " " + base + "--metrics pr --pr-k 1", &out) == 1);
  CHECK(out.find("diffbench: error: --pr-k 1: " + one + " has 1 images") != std::string::npos);
  CHECK(run_diffbench("metrics " + one + " " + three + " " + base + "--metrics is --is-splits 4", &out) == 1);
  CHECK(out.find("diffbench: error: --is-splits 4: " + three + " has 3 images") != std::string::npos);
  // The Inception Score of one image needs no covariance.
  CHECK(run_diffbench("metrics " + three + " " + one + " " + base + "--metrics is --is-splits 1", &out) == 0);
  CHECK(out.find("\"is_mean\": 1.0") != std::string::npos);  // one image: p(y|x) = p(y), so exp(KL) = 1
  CHECK(run_diffbench("metrics " + three + " " + one + " " + base + "--metrics \"\"", &out) == 1);
  CHECK(out.find("--metrics: empty") != std::string::npos);
  // The output may never be an input, --force or not.
  CHECK(run_diffbench("features " + three + " --inception random:0 --force --out " + three, &out) == 1);
  CHECK(out == "diffbench: error: " + three + ": is the input " + three + "; expected a new file for the output\n");
  CHECK(run_diffbench("info --threads 100000", &out) == 1);
  CHECK(out.find("diffbench: error: --threads: 100000 is more than 4x the ") == 0);
  fs::remove_all(dir);
}
