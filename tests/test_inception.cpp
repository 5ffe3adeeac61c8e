// The FID Inception port: layout, resize grids, parity with pytorch-fid's golden features under both
// protocols, batch/thread invariance, weights identification and errors.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "build_info.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/runtime.h"
#include "data/source.h"
#include "io/npy.h"
#include "io/state_dict.h"
#include "metrics/features.h"
#include "metrics/inception.h"
#include "metrics/inception_ops.h"
#include "metrics/protocol.h"

using namespace diffbench;

namespace {

const std::string kGolden = std::string(DIFFBENCH_SHARED_DIR) + "/golden/inception-fid";
const std::string kWeights = kGolden + "/weights.safetensors";

double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  REQUIRE(a.sizes() == b.sizes());
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

std::vector<at::Tensor> golden_images(const std::string& set, int64_t count) {
  auto source = open_source(kGolden + "/images_" + set);
  REQUIRE(source->size() == 200);
  return source->read(0, count);
}

FeatureExtractorOptions golden_options(const std::string& protocol, int batch) {
  FeatureExtractorOptions o;
  o.weights = kWeights;
  o.protocol = protocol;
  o.batch_size = batch;
  o.progress = false;
  return o;
}

// The TF1 legacy grid evaluated literally from the spec (metrics.md §2.2), in float64, one output value.
double tf1_reference(const at::Tensor& img, int64_t oy, int64_t ox, int64_t c, int64_t out_h, int64_t out_w) {
  auto a = img.accessor<double, 3>();
  const int64_t in_h = img.size(0), in_w = img.size(1);
  double sy = static_cast<double>(oy) * in_h / out_h, sx = static_cast<double>(ox) * in_w / out_w;
  int64_t y0 = static_cast<int64_t>(std::floor(sy)), x0 = static_cast<int64_t>(std::floor(sx));
  int64_t y1 = std::min(y0 + 1, in_h - 1), x1 = std::min(x0 + 1, in_w - 1);
  double ly = sy - std::floor(sy), lx = sx - std::floor(sx);
  double top = a[y0][x0][c] + (a[y0][x1][c] - a[y0][x0][c]) * lx;
  double bottom = a[y1][x0][c] + (a[y1][x1][c] - a[y1][x0][c]) * lx;
  return top + (bottom - top) * ly;
}

// PyTorch's half-pixel grid from the spec (metrics.md §2.1), in float64, one output value.
double half_pixel_reference(const at::Tensor& img, int64_t oy, int64_t ox, int64_t c, int64_t out_h, int64_t out_w) {
  auto a = img.accessor<float, 3>();
  const int64_t in_h = img.size(0), in_w = img.size(1);
  auto axis = [](int64_t d, int64_t in, int64_t out, int64_t* i0, int64_t* i1, double* l1) {
    double src = std::max(0.0, (d + 0.5) * in / out - 0.5);
    *i0 = static_cast<int64_t>(src);
    *i1 = std::min(*i0 + 1, in - 1);
    *l1 = src - *i0;
  };
  int64_t y0, y1, x0, x1;
  double ly, lx;
  axis(oy, in_h, out_h, &y0, &y1, &ly);
  axis(ox, in_w, out_w, &x0, &x1, &lx);
  return (1 - ly) * ((1 - lx) * a[y0][x0][c] + lx * a[y0][x1][c]) + ly * ((1 - lx) * a[y1][x0][c] + lx * a[y1][x1][c]);
}

}  // namespace

TEST_CASE("inception: 94 units and the 472 state_dict keys of pytorch-fid, in order and shape", "[inception]") {
  FidInceptionV3 net;
  std::ifstream keys(std::string(DIFFBENCH_SHARED_DIR) + "/reference/keys/fid-inception-v3.keys.txt");
  REQUIRE(keys.good());
  std::vector<std::pair<std::string, std::string>> expected;
  for (std::string line; std::getline(keys, line);) {
    auto tab = line.find('\t');
    expected.emplace_back(line.substr(0, tab), line.substr(tab + 1));
  }
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& item : module_state_dict(*net)) {
    if (item.first.find("num_batches_tracked") != std::string::npos) continue;
    std::ostringstream shape;
    shape << item.second.sizes();
    got.emplace_back(item.first, shape.str());
  }
  CHECK(expected.size() == 472);
  CHECK(got == expected);
  CHECK(inception_unit_names().size() == 94);
  CHECK(inception_unit_names()[50] == "Mixed_6d.branch1x1");
  // BN eps of the TF graph, not torchvision's 1e-5.
  auto unit = net->named_modules()["Mixed_7c.branch_pool"]->as<InceptionUnitImpl>();
  REQUIRE(unit != nullptr);
  CHECK(unit->bn->options.eps() == 0.001);
}

TEST_CASE("inception: half-pixel resize follows the hand-computed grid, no antialias (32/64/28x40/512->299)", "[inception]") {
  at::manual_seed(3);
  for (auto size : std::vector<std::pair<int64_t, int64_t>>{{32, 32}, {64, 64}, {28, 40}, {512, 384}}) {
    at::Tensor img = at::randint(0, 256, {size.first, size.second, 3}).to(at::kFloat) / 255.0f;
    at::Tensor ours = resize_bilinear_half_pixel(img, 299, 299);
    auto o = ours.accessor<float, 3>();
    double worst = 0;
    for (int64_t y = 0; y < 299; y += 5)
      for (int64_t x = 0; x < 299; x += 3)
        for (int64_t c = 0; c < 3; ++c)
          worst = std::max(worst, std::abs(o[y][x][c] - half_pixel_reference(img, y, x, c, 299, 299)));
    INFO(size.first << "x" << size.second);
    // ATen rounds the source coordinate to float32 (error ~ in * 2^-24 px); a wrong grid is off by ~0.1.
    CHECK(worst < 1e-4);
  }
  // 299 -> 299 passes unchanged; a non-square target keeps (h, w).
  at::Tensor img = at::rand({299, 299, 3});
  CHECK(at::equal(resize_bilinear_half_pixel(img, 299, 299), img));
  CHECK(resize_bilinear_half_pixel(at::rand({256, 256, 3}), 200, 300).sizes() == at::IntArrayRef({200, 300, 3}));
  // A 2x2 checkerboard to 4x4: src = (dst + 0.5)/2 - 0.5 clamped at 0 -> 0, 0.25, 0.75, 1.25.
  at::Tensor board = at::tensor({0.f, 255.f, 255.f, 0.f}).view({2, 2, 1});
  at::Tensor hp = resize_bilinear_half_pixel(board, 4, 4).view({4, 4});
  CHECK(hp[0][0].item<float>() == 0.f);
  CHECK(hp[0][1].item<float>() == Approx(63.75f));
  CHECK(hp[1][1].item<float>() == Approx(95.625f));  // 0.75 * 63.75 + 0.25 * 191.25
}

TEST_CASE("inception: TF1 legacy resize follows the hand-computed grid (32->299, 64->299, 299->299)", "[inception]") {
  at::manual_seed(4);
  for (int64_t in : {32, 64, 299}) {
    at::Tensor img = at::randint(0, 256, {in, in, 3}).to(at::kDouble);
    at::Tensor ours = resize_bilinear_tf1(img, 299, 299);
    auto o = ours.accessor<double, 3>();
    double worst = 0;
    for (int64_t y = 0; y < 299; y += 7)
      for (int64_t x = 0; x < 299; x += 3)
        for (int64_t c = 0; c < 3; ++c) worst = std::max(worst, std::abs(o[y][x][c] - tf1_reference(img, y, x, c, 299, 299)));
    INFO("input " << in);
    CHECK(worst < 1e-9);
    if (in == 299) CHECK(at::equal(ours, img));
  }
  // 2x2 checkerboard to 4x4: TF1 samples at 0, 0.5, 1, 1.5 (edge-clamped), no half-pixel shift.
  at::Tensor board = at::tensor({0.f, 255.f, 255.f, 0.f}).view({2, 2, 1});
  at::Tensor up = resize_bilinear_tf1(board, 4, 4).view({4, 4}).to(at::kFloat);
  at::Tensor expect = at::tensor({0.f, 127.5f, 255.f, 255.f, 127.5f, 127.5f, 127.5f, 127.5f, 255.f, 127.5f, 0.f, 0.f,
                                  255.f, 127.5f, 0.f, 0.f})
                          .view({4, 4});
  CHECK(at::equal(up, expect));
  // 32 -> 299: the TF1 grid sits 0.5*32/299 - 0.5 = -0.4465 source pixels from PyTorch's half-pixel grid.
  at::Tensor ramp = at::arange(32, at::kFloat).view({1, 32, 1}).expand({32, 32, 1}).contiguous();
  double tf = resize_bilinear_tf1(ramp, 299, 299)[10][150][0].item<double>();
  double hp = resize_bilinear_half_pixel(ramp, 299, 299)[10][150][0].item<float>();
  CHECK(hp - tf == Approx(0.5 * 32 / 299 - 0.5).margin(1e-5));
}

TEST_CASE("inception: pytorch-fid protocol matches feats_A and logits_A (16 images, 1e-4)", "[inception]") {
  FeatureExtractor fx(golden_options("pytorch-fid", 16));
  CHECK(fx.weights().sha256 == sha256_file(kWeights));
  CHECK_FALSE(fx.is_stand_in());
  FeatureLayers layers;
  layers.logits = true;
  FeatureBatch f = fx.extract_batch(golden_images("A", 16), layers);
  at::Tensor ref = read_npy(kGolden + "/feats_A.npy").narrow(0, 0, 16);
  at::Tensor ref_logits = read_npy(kGolden + "/logits_A.npy").narrow(0, 0, 16);
  REQUIRE(f.pool3.sizes() == at::IntArrayRef({16, 2048}));
  REQUIRE(f.logits.sizes() == at::IntArrayRef({16, 1008}));
  double d = max_abs_diff(f.pool3, ref), dl = max_abs_diff(f.logits, ref_logits);
  WARN("pytorch-fid pool3 max |diff| " << d << ", logits " << dl);
  CHECK(d <= 1e-4);
  CHECK(dl <= 1e-4);
}

TEST_CASE("inception: tf protocol matches feats_tf_A and spatial_tf_A (16 images, 1e-4)", "[inception]") {
  FeatureExtractor fx(golden_options("tf", 16));
  FeatureLayers layers;
  layers.spatial = true;
  auto source = open_source(kGolden + "/images_A");
  ExtractOptions opts;
  opts.count = 16;
  int calls = 0;
  opts.on_batch = [&](const FeatureBatch& b) {
    CHECK(b.start == 16 * calls++);
    CHECK(b.count() == 16);
  };
  FeatureBatch f = fx.extract(*source, layers, opts);
  CHECK(calls == 1);
  at::Tensor ref = read_npy(kGolden + "/feats_tf_A.npy").narrow(0, 0, 16);
  at::Tensor ref_spatial = read_npy(kGolden + "/spatial_tf_A.npy").narrow(0, 0, 16);
  REQUIRE(f.spatial.sizes() == at::IntArrayRef({16, 2023}));
  double d = max_abs_diff(f.pool3, ref), ds = max_abs_diff(f.spatial, ref_spatial);
  WARN("tf pool3 max |diff| " << d << ", spatial " << ds);
  CHECK(d <= 1e-4);
  CHECK(ds <= 1e-4);
}

TEST_CASE("inception: features do not depend on batch size (1, 7, 16) or threads (1, 2, 3)", "[inception]") {
  auto images = golden_images("B", 8);
  FeatureLayers all;
  all.logits = all.spatial = true;
  auto features = [&](int batch, int threads, size_t count) {
    const int saved = current_threads();
    configure_threads(threads);
    FeatureExtractor fx(golden_options("tf", batch));
    FeatureBatch f = fx.extract_batch(std::vector<at::Tensor>(images.begin(), images.begin() + count), all);
    configure_threads(saved);
    return f;
  };
  const FeatureBatch by16 = features(16, 2, 8);
  // With OpenMP LibTorch each image is computed on one thread, whichever the batch and thread count,
  // so features are bit-identical; elsewhere common/invariant_ops.h keeps one convolution algorithm
  // (PyTorch itself moves pool3 by 2.9e-5 between 1 and 2 threads on these images).
  const double bound = single_threaded_tasks() ? 0.0 : 1e-5;
  auto check_same = [&](const FeatureBatch& f, const char* what) {
    INFO(what);
    const int64_t n = f.count();
    CHECK(max_abs_diff(f.pool3, by16.pool3.narrow(0, 0, n)) <= bound);
    CHECK(max_abs_diff(f.logits, by16.logits.narrow(0, 0, n)) <= bound);
    CHECK(max_abs_diff(f.spatial, by16.spatial.narrow(0, 0, n)) <= bound);
  };
  check_same(features(7, 2, 8), "batch 7, 2 threads");  // the same image alone and among others
  check_same(features(16, 1, 8), "batch 16, 1 thread");
  check_same(features(16, 3, 8), "batch 16, 3 threads");
  // Batch 1 is slow on CPU (ATen reorders every conv's weights per call): two images are enough.
  check_same(features(1, 2, 2), "batch 1, 2 threads");
  check_same(features(1, 1, 1), "batch 1, 1 thread");
}

TEST_CASE("inception: a missing weights file names the expected file, size and URL", "[inception]") {
  FeatureExtractorOptions o;
  o.weights = "/nonexistent/dir/pt_inception.pth";
  o.progress = false;
  CHECK_THROWS_WITH(FeatureExtractor(o),
                    "--inception: weights file /nonexistent/dir/pt_inception.pth not found; expected pytorch-fid's "
                    "pt_inception-2015-12-05-6726825d.pth (95628359 bytes) from "
                    "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/"
                    "pt_inception-2015-12-05-6726825d.pth (or random:SEED for a stand-in network)");
  o.weights = "random:x1";
  CHECK_THROWS_WITH(FeatureExtractor(o), "--inception random:x1: expected random:SEED with SEED a non-negative integer");
  o.weights = "random:0";
  o.protocol = "clean";
  CHECK_THROWS_WITH(FeatureExtractor(o), "--protocol: unknown input protocol \"clean\"; expected pytorch-fid or tf");
}

TEST_CASE("inception: a state_dict with a missing or mis-shaped key is refused in one line", "[inception]") {
  StateDict full = load_state_dict(kWeights);
  StateDict bad;
  for (const auto& item : full) {
    if (item.first == "Mixed_7c.branch_pool.bn.running_var") continue;
    bad.insert(item.first, item.first == "fc.weight" ? at::zeros({1000, 2048}) : item.second);
  }
  FidInceptionV3 net;
  try {
    load_into_module(*net, bad, "w.safetensors");
    FAIL("expected an Error");
  } catch (const Error& e) {
    std::string msg = e.what();
    CHECK(msg.find("Mixed_7c.branch_pool.bn.running_var") != std::string::npos);
    CHECK(msg.find("fc.weight") != std::string::npos);
    CHECK(msg.find('\n') == std::string::npos);
  }
}

TEST_CASE("inception: random:SEED is a deterministic stand-in, labelled as such", "[inception]") {
  FeatureExtractorOptions o;
  o.weights = "random:7";
  o.progress = false;
  o.protocol = "pytorch-fid";
  FeatureExtractor a(o), b(o);
  o.weights = "random:8";
  FeatureExtractor c(o);
  CHECK(a.is_stand_in());
  CHECK(a.weights().sha256.empty());
  CHECK(a.describe()["stand_in"].get<std::string>().find("not comparable") != std::string::npos);
  std::vector<at::Tensor> img{at::randint(0, 256, {32, 32, 3}, at::kByte)};
  at::Tensor fa = a.extract_batch(img, {}).pool3, fb = b.extract_batch(img, {}).pool3;
  CHECK(at::equal(fa, fb));
  CHECK(max_abs_diff(fa, c.extract_batch(img, {}).pool3) > 1e-3);
  CHECK(fa.abs().max().item<float>() > 1e-3);  // not a dead network
}

TEST_CASE("inception: the BN+ReLU and pool kernels equal ATen's ops bit for bit", "[inception]") {
  at::manual_seed(3);
  for (auto shape : {std::vector<int64_t>{2, 5, 35, 35}, {3, 4, 17, 17}, {1, 3, 8, 8}, {2, 2, 147, 147},
                     {1, 2, 4, 3}, {1, 1, 1, 1}}) {
    INFO("shape " << at::IntArrayRef(shape));
    const at::Tensor x = at::randn(shape);
    const int64_t c = shape[1];
    const at::Tensor w = at::rand({c}) + 0.5, b = at::randn({c}), m = at::randn({c}), v = at::rand({c}) + 0.01;
    at::Tensor y = x.clone();
    batchnorm_relu_(y, w, b, m, v, 0.001);
    const at::Tensor ref = at::batch_norm(x, w, b, m, v, false, 0.0, 0.001, true).relu_();
    CHECK(at::equal(y, ref));
    const at::Tensor r = x.relu();
    CHECK(at::equal(avg_pool_3x3_same(r), at::avg_pool2d(r, {3, 3}, {1, 1}, {1, 1}, false, false)));
    CHECK(at::equal(avg_pool_3x3_same(x), at::avg_pool2d(x, {3, 3}, {1, 1}, {1, 1}, false, false)));
    if (shape[2] >= 3 && shape[3] >= 3) CHECK(at::equal(max_pool_3x3_stride2(x), at::max_pool2d(x, {3, 3}, {2, 2})));
  }
  at::Tensor nan = at::zeros({1, 1, 5, 5});
  nan[0][0][1][1] = NAN;
  CHECK(std::isnan(max_pool_3x3_stride2(nan)[0][0][0][0].item<float>()));
}
