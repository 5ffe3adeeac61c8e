// Image-space DiffiT network (see diffit_image.h; design in diffit.md §3.3).
#include "models/diffit_image.h"

#include <cmath>

#include "common/error.h"
#include "common/invariant_ops.h"

namespace diffbench {

namespace {

const edm::InitSpec kXavier{edm::InitMode::XavierUniform, 1.0, 0.0};
const edm::InitSpec kZero{edm::InitMode::XavierUniform, 0.0, 0.0};
const char* kWhere = "diffit-image config";

// ---- Config readers: one line per bad key, naming it and the expected type ------------------

[[noreturn]] void bad(const std::string& key, const std::string& expected, const nlohmann::json& got) {
  fail(std::string(kWhere) + ": \"" + key + "\" must be " + expected + ", got " + got.dump());
}

void read_int(const nlohmann::json& j, const char* key, int64_t& out, int64_t min) {
  if (!j.contains(key)) return;
  const auto& v = j.at(key);
  if (!v.is_number_integer() || v.get<int64_t>() < min) bad(key, "an integer >= " + std::to_string(min), v);
  out = v.get<int64_t>();
}

void read_double(const nlohmann::json& j, const char* key, double& out, double min, double max) {
  if (!j.contains(key)) return;
  const auto& v = j.at(key);
  if (!v.is_number() || v.get<double>() < min || v.get<double>() > max) {
    bad(key, "a number in [" + std::to_string(min) + ", " + std::to_string(max) + "]", v);
  }
  out = v.get<double>();
}

void read_bool(const nlohmann::json& j, const char* key, bool& out) {
  if (!j.contains(key)) return;
  if (!j.at(key).is_boolean()) bad(key, "true or false", j.at(key));
  out = j.at(key).get<bool>();
}

// A list of positive integers; a scalar is accepted when `scalar_ok` (expanded later).
void read_list(const nlohmann::json& j, const char* key, std::vector<int64_t>& out, bool scalar_ok) {
  if (!j.contains(key)) return;
  const auto& v = j.at(key);
  if (scalar_ok && v.is_number_integer() && v.get<int64_t>() > 0) {
    out = {v.get<int64_t>()};
    return;
  }
  if (!v.is_array() || v.empty()) bad(key, "a non-empty list of positive integers", v);
  out.clear();
  for (const auto& e : v) {
    if (!e.is_number_integer() || e.get<int64_t>() <= 0) bad(key, "a non-empty list of positive integers", v);
    out.push_back(e.get<int64_t>());
  }
}

void check_per_stage(std::vector<int64_t>& list, const char* key, size_t stages, bool broadcast) {
  if (broadcast && list.size() == 1) list.assign(stages, list[0]);
  if (list.size() != stages) {
    fail(std::string(kWhere) + ": \"" + key + "\" has " + std::to_string(list.size()) +
         " entries, expected one per stage (" + std::to_string(stages) + ", as \"channels\")");
  }
}

}  // namespace

// ---- Config ------------------------------------------------------------------------------------

int64_t DiffiTImageConfig::heads(int64_t stage) const {
  return num_heads.empty() ? channels.at(stage) / channels_per_head : num_heads.at(stage);
}

int64_t DiffiTImageConfig::mlp_hidden(int64_t stage) const {
  return static_cast<int64_t>(static_cast<double>(channels.at(stage)) * mlp_ratio);
}

DiffiTImageConfig parse_diffit_image_config(const nlohmann::json& j) {
  if (!j.is_object()) fail(std::string(kWhere) + ": expected a JSON object, got " + j.dump());
  DiffiTImageConfig c;
  static const std::vector<std::string> kOwn{
      "img_resolution", "img_channels", "label_dim", "augment_dim", "channels", "num_blocks", "window_size",
      "num_heads", "channels_per_head", "emb_channels", "noise_channels", "embedding_endpoint", "mlp_ratio",
      "dropout", "attention", "gn_groups", "gn_eps", "ln_eps", "resample", "gelu"};
  static const std::vector<std::string> kOther{"arch", "precond", "name", "description", "source", "notes",
                                               "weights", "sampler", "dataset"};
  for (const auto& item : j.items()) {
    const auto& k = item.key();
    const auto& wrapper = precond_config_keys();
    if (std::find(kOwn.begin(), kOwn.end(), k) == kOwn.end() && std::find(kOther.begin(), kOther.end(), k) == kOther.end() &&
        std::find(wrapper.begin(), wrapper.end(), k) == wrapper.end()) {
      fail(std::string(kWhere) + ": unknown key \"" + k + "\" (see models/README.md, image-space DiffiT)");
    }
  }
  read_int(j, "img_resolution", c.img_resolution, 1);
  read_int(j, "img_channels", c.img_channels, 1);
  read_int(j, "label_dim", c.label_dim, 0);
  read_int(j, "augment_dim", c.augment_dim, 0);
  read_list(j, "channels", c.channels, false);
  read_list(j, "num_blocks", c.num_blocks, true);
  read_list(j, "window_size", c.window_size, true);
  read_list(j, "num_heads", c.num_heads, true);
  read_int(j, "channels_per_head", c.channels_per_head, 1);
  read_int(j, "emb_channels", c.emb_channels, 1);
  read_int(j, "noise_channels", c.noise_channels, 2);
  read_bool(j, "embedding_endpoint", c.embedding_endpoint);
  read_double(j, "mlp_ratio", c.mlp_ratio, 1e-6, 1e6);
  read_double(j, "dropout", c.dropout, 0.0, 1.0);
  read_int(j, "gn_groups", c.gn_groups, 1);
  read_double(j, "gn_eps", c.gn_eps, 0.0, 1.0);
  read_double(j, "ln_eps", c.ln_eps, 0.0, 1.0);
  if (j.contains("attention")) {
    if (!j.at("attention").is_string()) bad("attention", "\"tmsa\" or \"plain\"", j.at("attention"));
    c.attention = parse_time_attention(j.at("attention").get<std::string>(), std::string(kWhere) + " \"attention\"");
  }
  if (j.contains("resample")) {
    const auto& v = j.at("resample");
    if (!v.is_string() || (v != "conv" && v != "bilinear")) bad("resample", "\"conv\" or \"bilinear\"", v);
    c.resample = v.get<std::string>();
  }
  if (j.contains("gelu")) {
    const auto& v = j.at("gelu");
    if (!v.is_string() || (v != "tanh" && v != "exact")) bad("gelu", "\"tanh\" or \"exact\"", v);
    c.gelu_tanh = v == "tanh";
  }
  if (c.noise_channels % 2 != 0) bad("noise_channels", "an even integer", j.at("noise_channels"));

  const size_t stages = c.channels.size();
  check_per_stage(c.num_blocks, "num_blocks", stages, true);
  check_per_stage(c.window_size, "window_size", stages, true);
  if (!c.num_heads.empty()) check_per_stage(c.num_heads, "num_heads", stages, true);
  for (size_t s = 0; s < stages; ++s) {
    const int64_t res = c.img_resolution >> s;
    const std::string at_stage = " at stage " + std::to_string(s);
    if (s > 0 && (c.img_resolution >> (s - 1)) % 2 != 0) {
      fail(std::string(kWhere) + ": img_resolution " + std::to_string(c.img_resolution) +
           " cannot be halved " + std::to_string(stages - 1) + " times");
    }
    if (res % c.window_size[s] != 0) {
      fail(std::string(kWhere) + ": window_size " + std::to_string(c.window_size[s]) + at_stage +
           " does not divide the resolution " + std::to_string(res));
    }
    const int64_t heads = c.heads(s);
    if (heads <= 0 || c.channels[s] % heads != 0) {
      fail(std::string(kWhere) + ": channels " + std::to_string(c.channels[s]) + at_stage +
           " not divisible into " + std::to_string(heads) + " heads (see num_heads / channels_per_head)");
    }
    const int64_t groups = std::min(c.gn_groups, c.channels[s] / 4);
    if (groups <= 0 || c.channels[s] % groups != 0) {
      fail(std::string(kWhere) + ": channels " + std::to_string(c.channels[s]) + at_stage +
           " not divisible into " + std::to_string(groups) + " GroupNorm groups");
    }
  }
  return c;
}

nlohmann::json diffit_image_config_to_json(const DiffiTImageConfig& c) {
  nlohmann::json heads = nlohmann::json::array();
  for (int64_t s = 0; s < c.stages(); ++s) heads.push_back(c.heads(s));
  return {{"arch", "diffit-image"},
          {"img_resolution", c.img_resolution},
          {"img_channels", c.img_channels},
          {"label_dim", c.label_dim},
          {"augment_dim", c.augment_dim},
          {"channels", c.channels},
          {"num_blocks", c.num_blocks},
          {"window_size", c.window_size},
          {"num_heads", heads},
          {"channels_per_head", c.channels_per_head},
          {"emb_channels", c.emb_channels},
          {"noise_channels", c.noise_channels},
          {"embedding_endpoint", c.embedding_endpoint},
          {"mlp_ratio", c.mlp_ratio},
          {"dropout", c.dropout},
          {"attention", time_attention_name(c.attention)},
          {"gn_groups", c.gn_groups},
          {"gn_eps", c.gn_eps},
          {"ln_eps", c.ln_eps},
          {"resample", c.resample},
          {"gelu", c.gelu_tanh ? "tanh" : "exact"}};
}

// ---- Stages ------------------------------------------------------------------------------------

DiffiTStage::DiffiTStage(const DiffiTImageConfig& c, int64_t stage, int64_t in_channels,
                         int64_t resample_channels, const std::string& resample, int64_t num_blocks) {
  const std::vector<double> no_filter{1, 1};
  auto conv3 = [&](int64_t in, int64_t out) {
    return std::make_shared<edm::Conv2d>(in, out, 3, true, false, false, no_filter, kXavier);
  };
  if (resample == "down") down = register_module("down", conv3(resample_channels, resample_channels));
  if (resample == "up") up = register_module("up", conv3(resample_channels, resample_channels));
  conv_in = register_module("conv_in", conv3(in_channels, c.channels[stage]));
  auto holder = register_module("blocks", std::make_shared<torch::nn::Module>());
  DiffiTBlockOptions o;
  o.channels = c.channels[stage];
  o.num_heads = c.heads(stage);
  o.window = c.window_size[stage];
  o.emb_channels = c.emb_channels;
  o.attention = c.attention;
  o.mlp_hidden = c.mlp_hidden(stage);
  o.dropout = c.dropout;
  o.gn_groups = c.gn_groups;
  o.gn_eps = c.gn_eps;
  o.ln_eps = c.ln_eps;
  o.gelu_tanh = c.gelu_tanh;
  for (int64_t j = 0; j < num_blocks; ++j) {
    blocks.push_back(holder->register_module(std::to_string(j), std::make_shared<DiffiTResBlock>(o)));
  }
}

// ---- Network -----------------------------------------------------------------------------------

DiffiTImageNet::DiffiTImageNet(const DiffiTImageConfig& config) : config_(config) {
  const auto& c = config_;
  const int64_t stages = c.stages();
  // Mapping network: EDM SongUNet's order (map_label, map_augment, map_layer0, map_layer1).
  if (c.label_dim > 0) map_label = register_module("map_label", std::make_shared<edm::Linear>(c.label_dim, c.noise_channels, true, kXavier));
  if (c.augment_dim > 0) map_augment = register_module("map_augment", std::make_shared<edm::Linear>(c.augment_dim, c.noise_channels, false, kXavier));
  map_layer0 = register_module("map_layer0", std::make_shared<edm::Linear>(c.noise_channels, c.emb_channels, true, kXavier));
  map_layer1 = register_module("map_layer1", std::make_shared<edm::Linear>(c.emb_channels, c.emb_channels, true, kXavier));

  auto enc = register_module("enc", std::make_shared<torch::nn::Module>());
  for (int64_t s = 0; s < stages; ++s) {
    const int64_t in = s == 0 ? c.img_channels : c.channels[s - 1];
    enc_.push_back(enc->register_module(
        std::to_string(s), std::make_shared<DiffiTStage>(c, s, in, in, s == 0 ? "" : "down", c.num_blocks[s])));
  }
  // Decoder stage k serves encoder stage s = S−2−k; no decoder blocks at the bottom resolution.
  auto dec = register_module("dec", std::make_shared<torch::nn::Module>());
  int64_t prev = c.channels.back();
  for (int64_t k = 0; k + 1 < stages; ++k) {
    const int64_t s = stages - 2 - k;
    dec_.push_back(dec->register_module(
        std::to_string(k), std::make_shared<DiffiTStage>(c, s, prev + c.channels[s], prev, "up", c.num_blocks[s])));
    prev = c.channels[s];
  }
  out_norm = register_module("out_norm", std::make_shared<edm::GroupNorm>(c.channels[0], c.gn_eps, c.gn_groups));
  // Zero head: the network outputs 0 at initialisation.
  out_conv = register_module("out_conv", std::make_shared<edm::Conv2d>(c.channels[0], c.img_channels, 3, true, false,
                                                                        false, std::vector<double>{1, 1}, kZero));
}

at::Tensor DiffiTImageNet::time_token(const at::Tensor& noise_labels, int64_t batch, const at::Tensor& class_labels,
                                      const at::Tensor& augment_labels) {
  at::Tensor sigma = noise_labels.reshape({-1}).to(at::kFloat);
  if (sigma.size(0) == 1 && batch > 1) sigma = sigma.expand({batch});
  if (sigma.size(0) != batch) {
    fail("diffit-image: " + std::to_string(sigma.size(0)) + " noise labels for a batch of " + std::to_string(batch));
  }
  at::Tensor emb = edm::positional_embedding(sigma, config_.noise_channels, config_.embedding_endpoint);
  // EDM's SongUNet swaps the halves: [sin, cos].
  emb = emb.reshape({batch, 2, -1}).flip({1}).reshape({batch, -1});
  if (map_label && class_labels.defined()) {
    emb = emb + map_label->forward(class_labels.to(at::kFloat) * std::sqrt(static_cast<double>(config_.label_dim)));
  }
  if (map_augment && augment_labels.defined()) emb = emb + map_augment->forward(augment_labels.to(at::kFloat));
  emb = at::silu(map_layer0->forward(emb));
  return at::silu(map_layer1->forward(emb));
}

at::Tensor DiffiTImageNet::downsample(const DiffiTStage& stage, const at::Tensor& x) const {
  const auto& conv = *stage.down;
  const at::Tensor w = conv.weight.to(x.scalar_type()), b = conv.bias.to(x.scalar_type());
  if (config_.resample == "conv") return conv2d_invariant(x, w, b, {2}, {1});
  namespace F = torch::nn::functional;
  const at::Tensor half = F::interpolate(x, F::InterpolateFuncOptions()
                                                .size(std::vector<int64_t>{x.size(2) / 2, x.size(3) / 2})
                                                .mode(torch::kBilinear)
                                                .align_corners(false));
  return conv2d_invariant(half, w, b, {1}, {1});
}

at::Tensor DiffiTImageNet::upsample(const DiffiTStage& stage, const at::Tensor& x) const {
  namespace F = torch::nn::functional;
  auto opts = F::InterpolateFuncOptions().size(std::vector<int64_t>{x.size(2) * 2, x.size(3) * 2});
  if (config_.resample == "conv") {
    opts.mode(torch::kNearest);
  } else {
    opts.mode(torch::kBilinear).align_corners(false);
  }
  return stage.up->forward(F::interpolate(x, opts));
}

at::Tensor DiffiTImageNet::forward(const at::Tensor& x, const at::Tensor& noise_labels,
                                   const at::Tensor& class_labels, const at::Tensor& augment_labels) {
  const auto& c = config_;
  if (x.dim() != 4 || x.size(1) != c.img_channels || x.size(2) != c.img_resolution || x.size(3) != c.img_resolution) {
    fail("diffit-image: input of shape " + c10::str(x.sizes()) + ", expected [B, " + std::to_string(c.img_channels) +
         ", " + std::to_string(c.img_resolution) + ", " + std::to_string(c.img_resolution) + "]");
  }
  const at::Tensor temb = time_token(noise_labels, x.size(0), class_labels, augment_labels);
  std::vector<at::Tensor> skips;
  at::Tensor h = x;
  for (size_t s = 0; s < enc_.size(); ++s) {
    const auto& stage = *enc_[s];
    if (stage.down) h = downsample(stage, h);
    h = stage.conv_in->forward(h);
    for (const auto& block : stage.blocks) h = block->forward(h, temb);
    if (s + 1 < enc_.size()) skips.push_back(h);
  }
  for (const auto& stage_ptr : dec_) {
    const auto& stage = *stage_ptr;
    h = upsample(stage, h);
    h = stage.conv_in->forward(at::cat({h, skips.back()}, 1));  // [upsampled, skip]
    skips.pop_back();
    for (const auto& block : stage.blocks) h = block->forward(h, temb);
  }
  return out_conv->forward(at::silu(out_norm->forward(h)));
}

double DiffiTImageNet::macs_per_image() const {
  const auto& c = config_;
  double m = map_layer0->macs() + map_layer1->macs() + (map_label ? map_label->macs() : 0.0);
  for (size_t s = 0; s < enc_.size(); ++s) {
    const int res = static_cast<int>(c.img_resolution >> s);
    const auto& stage = *enc_[s];
    if (stage.down) m += stage.down->macs(res);  // stride 2: evaluated at the output resolution
    m += stage.conv_in->macs(res);
    for (const auto& block : stage.blocks) m += block->macs(res);
  }
  for (size_t k = 0; k < dec_.size(); ++k) {
    const int res = static_cast<int>(c.img_resolution >> (dec_.size() - 1 - k));
    const auto& stage = *dec_[k];
    m += stage.up->macs(res) + stage.conv_in->macs(res);
    for (const auto& block : stage.blocks) m += block->macs(res);
  }
  return m + out_conv->macs(static_cast<int>(c.img_resolution));
}

std::shared_ptr<DiffiTImageNet> make_diffit_image_net(const DiffiTImageConfig& config) {
  return std::make_shared<DiffiTImageNet>(config);
}

std::shared_ptr<UNetNet> build_diffit_image_net(const nlohmann::json& config) {
  return make_diffit_image_net(parse_diffit_image_config(config));
}

std::vector<std::pair<std::string, std::vector<int64_t>>> ordered_state_shapes(const torch::nn::Module& module,
                                                                               const std::string& prefix) {
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  for (const auto& p : module.named_parameters(false)) out.emplace_back(prefix + p.key(), p.value().sizes().vec());
  for (const auto& b : module.named_buffers(false)) out.emplace_back(prefix + b.key(), b.value().sizes().vec());
  for (const auto& child : module.named_children()) {
    auto sub = ordered_state_shapes(*child.value(), prefix + child.key() + ".");
    out.insert(out.end(), sub.begin(), sub.end());
  }
  return out;
}

}  // namespace diffbench
