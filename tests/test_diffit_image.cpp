// Image-space DiffiT (diffit.md §3.3): preset sizes and key lists, windowed TMSA against a naive
// full attention, the tmsa/plain switch, batch invariance and a training step.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

#include "build_info.h"
#include "common/error.h"
#include "models/diffit_image.h"
#include "models/edm_layers.h"
#include "models/precond.h"
#include "models/registry_unets.h"
#include "models/tmsa.h"

using namespace diffbench;

namespace {

nlohmann::json preset(const std::string& name) {
  return read_model_config(std::string(DIFFBENCH_SOURCE_DIR) + "/models/configs/" + name + ".json");
}

// The reference key list "name\t[d0, d1, ...]" as (name, shape) pairs in file order.
std::vector<std::pair<std::string, std::vector<int64_t>>> reference_keys(const std::string& file) {
  std::ifstream in(std::string(DIFFBENCH_SHARED_DIR) + "/reference/keys/" + file);
  REQUIRE(in.good());
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto tab = line.find('\t');
    std::string dims = line.substr(tab + 1);
    for (char& ch : dims) {
      if (ch == '[' || ch == ']' || ch == ',') ch = ' ';
    }
    std::istringstream ds(dims);
    std::vector<int64_t> shape;
    for (int64_t d; ds >> d;) shape.push_back(d);
    out.emplace_back(line.substr(0, tab), shape);
  }
  return out;
}

// A small net for the numerical properties: 16x16, two stages, window 4.
DiffiTImageConfig small_config(TimeAttention mode) {
  DiffiTImageConfig c;
  c.img_resolution = 16;
  c.img_channels = 3;
  c.augment_dim = 0;
  c.channels = {32, 64};
  c.num_blocks = {1, 1};
  c.window_size = {4, 4};
  c.channels_per_head = 16;
  c.emb_channels = 64;
  c.noise_channels = 32;
  c.dropout = 0.0;
  c.attention = mode;
  return c;
}

// The zero-initialised head hides everything behind it: give it weights.
void randomize_head(torch::nn::Module& net) {
  torch::NoGradGuard no_grad;
  for (auto& p : net.named_parameters()) {
    if (p.key().rfind("out_conv.", 0) == 0) p.value().normal_(0.0, 0.05);
  }
}

double max_abs_diff(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

}  // namespace

TEST_CASE("diffit-image presets match the proposed key lists, parameter counts and MACs", "[diffit-image]") {
  struct Case {
    const char* config;
    const char* keys;
    int64_t params;
    size_t tensors;
    double macs;
  };
  const Case cases[] = {
      {"diffit-image-cifar10", "diffit-image-proposed-cifar10-I1.keys.txt", 17576003, 187, 4730191872.0},
      {"diffit-image-cifar10-h1", "diffit-image-proposed-cifar10-H1.keys.txt", 30389379, 347, 7754285056.0},
      {"diffit-image-ffhq64", "diffit-image-proposed-ffhq64-I1.keys.txt", 26550875, 227, 17703567360.0},
      {"diffit-image-ffhq64-h1", "diffit-image-proposed-ffhq64-H1.keys.txt", 47562947, 483, 33961607168.0},
  };
  for (const auto& c : cases) {
    INFO(c.config);
    edm::MetaScope meta;  // shapes only: the full-size presets cost no memory
    auto model = build_unet_model(preset(c.config));
    REQUIRE(model);
    CHECK(model->arch() == "diffit-image");
    CHECK(model->kind() == "denoiser");
    const auto expected = reference_keys(c.keys);
    const auto actual = ordered_state_shapes(*model);
    CHECK(actual.size() == c.tensors);
    REQUIRE(actual.size() == expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      INFO("entry " << i);
      CHECK(actual[i].first == expected[i].first);
      CHECK(actual[i].second == expected[i].second);
    }
    CHECK(edm::count_parameters(*model) == c.params);
    CHECK(model->macs_per_image() == c.macs);
  }
}

TEST_CASE("diffit-image tiny presets are within 5% of ddpmpp-tiny and differ only in the time path", "[diffit-image]") {
  const int64_t unet = count_unet_parameters(preset("ddpmpp-tiny"));
  const int64_t tmsa = count_unet_parameters(preset("diffit-image-tiny"));
  const int64_t plain = count_unet_parameters(preset("diffit-image-tiny-plain"));
  CHECK(tmsa == 1801267);
  CHECK(plain == 1701939);
  CHECK(std::abs(static_cast<double>(tmsa) / unet - 1.0) < 0.05);
  CHECK(std::abs(static_cast<double>(plain) / unet - 1.0) < 0.05);
  // Per block: qkv_temb (3C·E + 3C) versus temb_proj (C·E + C); blocks at C = 64, 96, 96×2, 96, 64.
  CHECK(tmsa - plain == 2 * (96 + 1) * (64 + 96 + 2 * 96 + 96 + 64));
  edm::MetaScope meta;
  CHECK(build_unet_model(preset("diffit-image-tiny"))->macs_per_image() == 587100480.0);
  CHECK(build_unet_model(preset("diffit-image-tiny-plain"))->macs_per_image() == 587002176.0);
}

TEST_CASE("diffit-image config errors name the key", "[diffit-image]") {
  nlohmann::json j = preset("diffit-image-tiny");
  j["num_block"] = 2;
  CHECK_THROWS_WITH(parse_diffit_image_config(j),
                    "diffit-image config: unknown key \"num_block\" (see models/README.md, image-space DiffiT)");
  j = preset("diffit-image-tiny");
  j["window_size"] = 3;
  CHECK_THROWS_WITH(parse_diffit_image_config(j),
                    "diffit-image config: window_size 3 at stage 0 does not divide the resolution 32");
  j = preset("diffit-image-tiny");
  j["attention"] = "global";
  CHECK_THROWS_WITH(parse_diffit_image_config(j),
                    "diffit-image config \"attention\": unknown attention \"global\", expected \"tmsa\" or \"plain\"");
  j = preset("diffit-image-tiny");
  j["num_blocks"] = {1, 1};
  CHECK_THROWS_WITH(parse_diffit_image_config(j),
                    "diffit-image config: \"num_blocks\" has 2 entries, expected one per stage (3, as \"channels\")");
  // Round trip of the parsed config.
  const DiffiTImageConfig c = parse_diffit_image_config(preset("diffit-image-tiny-plain"));
  CHECK(c.attention == TimeAttention::Plain);
  CHECK(c.window_size == std::vector<int64_t>{4, 4, 4});
  CHECK(parse_diffit_image_config(diffit_image_config_to_json(c)).heads(2) == 3);
}

TEST_CASE("diffit-image relative position index and window partition", "[diffit-image]") {
  const at::Tensor index = relative_position_index(16);
  CHECK(index[0][0].item<int64_t>() == 480);
  CHECK(index[0][1].item<int64_t>() == 479);
  CHECK(index[0][255].item<int64_t>() == 0);
  CHECK(index[255][0].item<int64_t>() == 960);
  CHECK(index.max().item<int64_t>() == 960);
  // Window (1, 0) of image 1 in a 2×8×8 batch with w = 4 holds rows 4..7, columns 0..3, row-major.
  const at::Tensor x = torch::arange(2 * 3 * 8 * 8, torch::kFloat).reshape({2, 3, 8, 8});
  const at::Tensor windows = window_partition(x, 4);
  REQUIRE(windows.sizes() == at::IntArrayRef({8, 16, 3}));
  const at::Tensor expected = x[1].slice(1, 4, 8).slice(2, 0, 4).reshape({3, 16}).t();
  CHECK(torch::equal(windows[4 + 2], expected));
  CHECK(torch::equal(window_reverse(windows, 4, 2, 8, 8), x));
}

TEST_CASE("diffit-image windowed attention equals naive full attention when the window covers the image",
          "[diffit-image]") {
  torch::manual_seed(1);
  for (TimeAttention mode : {TimeAttention::Tmsa, TimeAttention::Plain}) {
    INFO(time_attention_name(mode));
    const int64_t w = 6, c = 16, heads = 2, d = c / heads, e = 8, b = 2, n = w * w;
    WindowAttention attn({c, heads, w, e, mode});
    {
      torch::NoGradGuard no_grad;
      attn.relative_position_bias_table.normal_(0.0, 1.0);  // large enough to matter
    }
    const at::Tensor image = torch::randn({b, c, w, w});
    const at::Tensor temb = torch::randn({b, e});
    const at::Tensor out = attn.forward(window_partition(image, w), temb);

    // Reference: every token attends to every token of its image; bias from coordinates.
    const at::Tensor tokens = image.flatten(2).transpose(1, 2);  // (b, n, c) row-major
    const at::Tensor in = mode == TimeAttention::Plain ? tokens + attn.temb_proj->forward(temb).unsqueeze(1) : tokens;
    at::Tensor qkv = at::linear(in, attn.qkv->weight, attn.qkv->bias);
    if (mode == TimeAttention::Tmsa) qkv = qkv + attn.qkv_temb->forward(temb).unsqueeze(1);
    const at::Tensor table = attn.relative_position_bias_table;
    at::Tensor ref = torch::zeros({b, n, c});
    for (int64_t h = 0; h < heads; ++h) {
      const at::Tensor q = qkv.slice(2, h * d, h * d + d);
      const at::Tensor k = qkv.slice(2, c + h * d, c + h * d + d);
      const at::Tensor v = qkv.slice(2, 2 * c + h * d, 2 * c + h * d + d);
      at::Tensor bias = torch::zeros({n, n});
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < n; ++j) {
          const int64_t dr = i / w - j / w, dc = i % w - j % w;
          bias[i][j] = table[(dr + w - 1) * (2 * w - 1) + (dc + w - 1)][h];
        }
      }
      const at::Tensor scores = torch::matmul(q, k.transpose(1, 2)) / std::sqrt(static_cast<double>(d)) + bias;
      ref.slice(2, h * d, h * d + d).copy_(torch::matmul(torch::softmax(scores, -1), v));
    }
    ref = at::linear(ref, attn.proj->weight, attn.proj->bias);
    CHECK(max_abs_diff(out, ref) < 1e-5);

    // With a smaller window each window is attended alone: window (0, 1) equals the module on that crop.
    WindowAttention small({c, heads, 3, e, mode});
    const at::Tensor windows = small.forward(window_partition(image, 3), temb);
    const at::Tensor crop = image.slice(2, 0, 3).slice(3, 3, 6).contiguous();
    const at::Tensor alone = small.forward(window_partition(crop, 3), temb);
    CHECK(max_abs_diff(windows.reshape({b, 4, 9, c}).select(1, 1), alone) < 1e-6);
  }
}

TEST_CASE("diffit-image tmsa/plain switch: outputs differ, time enters only through its own path",
          "[diffit-image]") {
  torch::manual_seed(2);
  auto tmsa = make_diffit_image_net(small_config(TimeAttention::Tmsa));
  torch::manual_seed(2);
  auto plain = make_diffit_image_net(small_config(TimeAttention::Plain));
  randomize_head(*tmsa);
  tmsa->eval();
  plain->eval();
  // Copy every shared tensor so that only the time path differs.
  {
    torch::NoGradGuard no_grad;
    auto plain_params = plain->named_parameters();
    size_t shared = 0;
    for (const auto& p : tmsa->named_parameters()) {
      if (const auto* q = plain_params.find(p.key())) {
        q->copy_(p.value());
        ++shared;
      }
    }
    CHECK(shared + 6 == tmsa->named_parameters().size());  // qkv_temb weight + bias in 3 blocks
  }
  size_t tmsa_keys = 0, plain_keys = 0;
  for (const auto& p : tmsa->named_parameters()) tmsa_keys += p.key().find("temb_proj") != std::string::npos;
  for (const auto& p : plain->named_parameters()) plain_keys += p.key().find("qkv_temb") != std::string::npos;
  CHECK(tmsa_keys == 0);
  CHECK(plain_keys == 0);

  torch::NoGradGuard no_grad;
  const at::Tensor x = torch::randn({2, 3, 16, 16});
  const at::Tensor sigma_a = torch::full({2}, -0.5), sigma_b = torch::full({2}, 0.7);
  const at::Tensor out_tmsa = tmsa->forward(x, sigma_a, {}, {});
  CHECK(max_abs_diff(out_tmsa, plain->forward(x, sigma_a, {}, {})) > 1e-3);
  CHECK(max_abs_diff(out_tmsa, tmsa->forward(x, sigma_b, {}, {})) > 1e-4);
  CHECK(max_abs_diff(plain->forward(x, sigma_a, {}, {}), plain->forward(x, sigma_b, {}, {})) > 1e-4);

  // Zero each model's own time projection: the noise level must then have no effect at all
  // (the conv path carries no time), so that projection is the only way time gets in.
  for (const auto& p : tmsa->named_parameters()) {
    if (p.key().find("qkv_temb") != std::string::npos) p.value().zero_();
  }
  for (const auto& p : plain->named_parameters()) {
    if (p.key().find("temb_proj") != std::string::npos) p.value().zero_();
  }
  CHECK(max_abs_diff(tmsa->forward(x, sigma_a, {}, {}), tmsa->forward(x, sigma_b, {}, {})) == 0.0);
  CHECK(max_abs_diff(plain->forward(x, sigma_a, {}, {}), plain->forward(x, sigma_b, {}, {})) == 0.0);
  // ...and both then compute the same function, the shared weights being equal.
  CHECK(max_abs_diff(tmsa->forward(x, sigma_a, {}, {}), plain->forward(x, sigma_a, {}, {})) < 1e-6);
}

TEST_CASE("diffit-image output shape, zero head at init and batch-size invariance", "[diffit-image]") {
  torch::manual_seed(3);
  auto net = build_diffit_image_net(preset("diffit-image-tiny"));
  net->eval();
  torch::NoGradGuard no_grad;
  const at::Tensor x = torch::randn({4, 3, 32, 32});
  const at::Tensor sigma = torch::tensor({-1.0f, -0.2f, 0.3f, 1.2f});
  const at::Tensor labels = torch::eye(10).slice(0, 0, 4);
  const at::Tensor out0 = net->forward(x, sigma, labels, {});
  CHECK(out0.sizes() == at::IntArrayRef({4, 3, 32, 32}));
  CHECK(out0.abs().max().item<double>() == 0.0);  // out_conv starts at zero

  randomize_head(*net);
  const at::Tensor batch = net->forward(x, sigma, labels, {});
  CHECK(batch.abs().max().item<double>() > 1e-3);
  double worst = 0.0;
  for (int64_t i = 0; i < 4; ++i) {
    const at::Tensor one = net->forward(x.slice(0, i, i + 1), sigma.slice(0, i, i + 1), labels.slice(0, i, i + 1), {});
    worst = std::max(worst, max_abs_diff(one, batch.slice(0, i, i + 1)));
  }
  CHECK(worst < 1e-5);
  // A single noise label broadcasts over the batch (EDM's sampler passes a 0-d sigma).
  const at::Tensor shared = net->forward(x, torch::full({1}, 0.3f), labels, {});
  CHECK(max_abs_diff(shared.slice(0, 2, 3), batch.slice(0, 2, 3)) < 1e-5);
}

TEST_CASE("diffit-image gradients reach every parameter and training steps reduce the loss", "[diffit-image]") {
  torch::manual_seed(4);
  nlohmann::json config = diffit_image_config_to_json(small_config(TimeAttention::Tmsa));
  config["precond"] = "edm";
  config["label_dim"] = 0;
  auto model = build_unet_model(config);
  auto* precond = dynamic_cast<Precond*>(model.get());
  REQUIRE(precond);
  model->train();
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(2e-3));
  const at::Tensor y = torch::rand({4, 3, 16, 16}) * 2 - 1;
  const at::Tensor sigma = torch::tensor({0.3f, 0.8f, 1.5f, 3.0f});
  const at::Tensor noise = torch::randn({4, 3, 16, 16}) * sigma.view({-1, 1, 1, 1});
  const at::Tensor weight = (sigma.square() + 0.25) / (sigma * 0.5).square();
  auto loss_fn = [&] {
    const at::Tensor d = precond->denoise(y + noise, sigma, {}, {});
    return (weight.view({-1, 1, 1, 1}) * (d - y).square()).mean();
  };
  double first = 0.0, last = 0.0;
  for (int step = 0; step < 12; ++step) {
    adam.zero_grad();
    at::Tensor loss = loss_fn();
    loss.backward();
    if (step == 0) first = loss.item<double>();
    if (step == 2) {
      // After the zero head has moved, every tensor receives a gradient (map, convs, attention, bias table).
      for (const auto& p : model->named_parameters()) {
        INFO(p.key());
        CHECK(p.value().grad().defined());
        if (p.value().grad().defined()) CHECK(p.value().grad().abs().sum().item<double>() > 0.0);
      }
    }
    adam.step();
    last = loss.item<double>();
  }
  CHECK(last < 0.8 * first);
}
