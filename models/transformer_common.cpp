#include "models/transformer_common.h"

#include <ATen/CPUGeneratorImpl.h>
#include <cmath>

#include "common/error.h"
#include "common/invariant_ops.h"

namespace diffbench {

// ---- Config ------------------------------------------------------------------------------------

namespace {
const char* const kStructuralKeys[] = {"input_size", "patch_size", "in_channels", "hidden_size",
                                       "depth", "num_heads", "mlp_ratio", "class_dropout_prob",
                                       "num_classes", "learn_sigma"};

int positive_int(const nlohmann::json& j, const std::string& key, const std::string& where) {
  if (!j.contains(key)) fail(where + ": missing \"" + key + "\" (official constructor argument)");
  const auto& v = j[key];
  if (!v.is_number_integer() || v.get<int64_t>() <= 0)
    fail(where + ": \"" + key + "\" is " + v.dump() + ", expected a positive integer");
  return v.get<int>();
}
}  // namespace

PatchTransformerConfig parse_patch_transformer_config(const nlohmann::json& j,
                                                      const std::vector<std::string>& ignored) {
  if (!j.is_object()) fail("model config: expected a JSON object, got " + std::string(j.type_name()));
  PatchTransformerConfig c;
  c.arch = j.value("arch", std::string());
  const std::string where = "model config (arch \"" + c.arch + "\")";
  for (const auto& item : j.items()) {
    const std::string& k = item.key();
    bool known = k == "arch" || k == "guidance" || k == "name" || k == "description";
    for (const char* s : kStructuralKeys) known = known || k == s;
    for (const auto& s : ignored) known = known || k == s;
    if (!known) fail(where + ": unknown key \"" + k + "\"");
  }
  c.input_size = positive_int(j, "input_size", where);
  c.patch_size = positive_int(j, "patch_size", where);
  c.in_channels = positive_int(j, "in_channels", where);
  c.hidden_size = positive_int(j, "hidden_size", where);
  c.depth = positive_int(j, "depth", where);
  c.num_heads = positive_int(j, "num_heads", where);
  for (const char* k : {"mlp_ratio", "class_dropout_prob"})
    if (!j.contains(k) || !j[k].is_number()) fail(where + ": \"" + k + "\" must be a number");
  c.mlp_ratio = j["mlp_ratio"].get<double>();
  c.class_dropout_prob = j["class_dropout_prob"].get<double>();
  if (!j.contains("num_classes") || !j["num_classes"].is_number_integer() || j["num_classes"].get<int>() < 0)
    fail(where + ": \"num_classes\" must be a non-negative integer");
  c.num_classes = j["num_classes"].get<int>();
  if (!j.contains("learn_sigma") || !j["learn_sigma"].is_boolean())
    fail(where + ": \"learn_sigma\" must be true or false");
  c.learn_sigma = j["learn_sigma"].get<bool>();
  if (!j.contains("guidance"))
    fail(where + ": missing \"guidance\" (scale, channels, schedule must be explicit; presets: DiT 1.5 "
                 "first3 constant, DiffiT-256 4.4 first3 power_cosine power 4, DiffiT-512 1.49 first3 constant)");
  c.guidance = parse_guidance(j["guidance"], where);
  if (c.input_size % c.patch_size != 0)
    fail(where + ": input_size " + std::to_string(c.input_size) + " is not a multiple of patch_size " +
         std::to_string(c.patch_size));
  if (c.hidden_size % c.num_heads != 0)
    fail(where + ": hidden_size " + std::to_string(c.hidden_size) + " is not a multiple of num_heads " +
         std::to_string(c.num_heads));
  if (c.hidden_size % 4 != 0)
    fail(where + ": hidden_size must be a multiple of 4 (2-D sin-cos position table)");
  if (c.guidance.channels == GuidanceChannels::First3 && c.in_channels < 3)
    fail(where + ": guidance channels \"first3\" needs in_channels >= 3");
  return c;
}

nlohmann::json patch_transformer_config_to_json(const PatchTransformerConfig& c) {
  return {{"arch", c.arch},
          {"input_size", c.input_size},
          {"patch_size", c.patch_size},
          {"in_channels", c.in_channels},
          {"hidden_size", c.hidden_size},
          {"depth", c.depth},
          {"num_heads", c.num_heads},
          {"mlp_ratio", c.mlp_ratio},
          {"class_dropout_prob", c.class_dropout_prob},
          {"num_classes", c.num_classes},
          {"learn_sigma", c.learn_sigma},
          {"guidance", guidance_to_json(c.guidance)}};
}

// ---- Functional pieces -------------------------------------------------------------------------

at::Tensor timestep_embedding(const at::Tensor& t, int64_t dim, double max_period) {
  const int64_t half = dim / 2;
  auto opts = at::TensorOptions().dtype(at::kFloat).device(t.device());
  at::Tensor freqs = at::exp(-std::log(max_period) * at::arange(0, half, opts) / static_cast<double>(half));
  at::Tensor args = t.to(at::kFloat).unsqueeze(1) * freqs.unsqueeze(0);
  at::Tensor emb = at::cat({at::cos(args), at::sin(args)}, -1);
  if (dim % 2) emb = at::cat({emb, at::zeros_like(emb.slice(1, 0, 1))}, -1);
  return emb;
}

at::Tensor sincos_pos_embed_2d(int64_t dim, int64_t grid) {
  auto f64 = at::TensorOptions().dtype(at::kDouble);
  // One axis: [sin(pos w_k), cos(pos w_k)], w_k = 1 / 10000^(k / (d/2)), d = dim / 2.
  auto axis = [&](const at::Tensor& pos) {
    const int64_t d = dim / 2;
    at::Tensor omega = 1.0 / at::pow(10000.0, at::arange(d / 2, f64) / static_cast<double>(d / 2));
    at::Tensor out = pos.reshape({-1, 1}) * omega.unsqueeze(0);
    return at::cat({at::sin(out), at::cos(out)}, 1);
  };
  at::Tensor coord = at::arange(grid, f64);
  at::Tensor col = coord.unsqueeze(0).expand({grid, grid});  // numpy meshgrid 'xy': grid[0] = column
  at::Tensor row = coord.unsqueeze(1).expand({grid, grid});
  return at::cat({axis(col), axis(row)}, 1).to(at::kFloat);
}

at::Tensor layer_norm_plain(const at::Tensor& x) {
  return at::layer_norm(x, {x.size(-1)}, {}, {}, 1e-6);
}

at::Tensor unpatchify(const at::Tensor& x, int64_t channels, int64_t patch) {
  const int64_t b = x.size(0);
  const int64_t g = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(x.size(1)))));
  return x.reshape({b, g, g, patch, patch, channels})
      .permute({0, 5, 1, 3, 2, 4})
      .reshape({b, channels, g * patch, g * patch});
}

at::Tensor multi_head_attention(const at::Tensor& qkv, int64_t heads, const at::Tensor& bias) {
  const int64_t b = qkv.size(0), n = qkv.size(1), d = qkv.size(2) / 3;
  const int64_t hd = d / heads;
  at::Tensor parts = qkv.reshape({b, n, 3, heads, hd}).permute({2, 0, 3, 1, 4});
  at::Tensor q = parts[0] * std::pow(static_cast<double>(hd), -0.5);
  at::Tensor attn = at::matmul(q, parts[1].transpose(-2, -1));
  if (bias.defined()) attn = attn + bias.unsqueeze(0);
  attn = at::softmax(attn, -1);
  return at::matmul(attn, parts[2]).transpose(1, 2).reshape({b, n, d});
}

// ---- Modules -----------------------------------------------------------------------------------

LinearLayer::LinearLayer(int64_t in, int64_t out, const at::TensorOptions& opts, bool with_bias) {
  weight = register_parameter("weight", at::empty({out, in}, opts));
  if (with_bias) bias = register_parameter("bias", at::empty({out}, opts));
}

at::Tensor LinearLayer::forward(const at::Tensor& x) { return linear_invariant(x, weight, bias); }

PatchEmbed::PatchEmbed(int64_t in_channels, int64_t dim, int64_t patch, const at::TensorOptions& opts)
    : patch_(patch) {
  proj_ = register_module("proj", std::make_shared<torch::nn::Module>());
  weight_ = proj_->register_parameter("weight", at::empty({dim, in_channels, patch, patch}, opts));
  bias_ = proj_->register_parameter("bias", at::empty({dim}, opts));
}

at::Tensor PatchEmbed::forward(const at::Tensor& x) {
  return conv2d_invariant(x, weight_, bias_, {patch_, patch_}, {0}).flatten(2).transpose(1, 2);
}

TimestepEmbedder::TimestepEmbedder(int64_t dim, const at::TensorOptions& opts, int64_t freq_dim)
    : freq_dim_(freq_dim) {
  auto mlp = register_module("mlp", std::make_shared<torch::nn::Module>());
  fc0_ = mlp->register_module("0", std::make_shared<LinearLayer>(freq_dim, dim, opts));
  fc2_ = mlp->register_module("2", std::make_shared<LinearLayer>(dim, dim, opts));
}

at::Tensor TimestepEmbedder::forward(const at::Tensor& t) {
  at::Tensor emb = timestep_embedding(t, freq_dim_).to(fc0_->weight.scalar_type());
  return fc2_->forward(at::silu(fc0_->forward(emb)));
}

LabelEmbedder::LabelEmbedder(int64_t num_classes, int64_t dim, bool null_class, const at::TensorOptions& opts) {
  table_ = register_module("embedding_table", std::make_shared<torch::nn::Module>())
               ->register_parameter("weight", at::empty({num_classes + (null_class ? 1 : 0), dim}, opts));
}

at::Tensor LabelEmbedder::forward(const at::Tensor& y) {
  return at::embedding(table_, y.to(at::kLong));
}

Mlp::Mlp(int64_t dim, int64_t hidden, const at::TensorOptions& opts) {
  fc1_ = register_module("fc1", std::make_shared<LinearLayer>(dim, hidden, opts));
  fc2_ = register_module("fc2", std::make_shared<LinearLayer>(hidden, dim, opts));
}

at::Tensor Mlp::forward(const at::Tensor& x) {
  return fc2_->forward(at::gelu(fc1_->forward(x), "tanh"));
}

// ---- PatchTransformer --------------------------------------------------------------------------

PatchTransformer::PatchTransformer(PatchTransformerConfig config, const at::TensorOptions& opts)
    : config_(std::move(config)) {
  const auto& c = config_;
  // Frozen parameter in the official state_dict, holding the fixed sin-cos table.
  pos_embed_ = register_parameter(
      "pos_embed", sincos_pos_embed_2d(c.hidden_size, c.grid()).unsqueeze(0).to(opts), /*requires_grad=*/false);
  x_embedder_ = register_module("x_embedder", std::make_shared<PatchEmbed>(c.in_channels, c.hidden_size, c.patch_size, opts));
  t_embedder_ = register_module("t_embedder", std::make_shared<TimestepEmbedder>(c.hidden_size, opts));
  y_embedder_ = register_module("y_embedder",
                                std::make_shared<LabelEmbedder>(c.num_classes, c.hidden_size, c.has_null_class(), opts));
}

at::Tensor PatchTransformer::embed_tokens(const at::Tensor& x) {
  if (x.dim() != 4 || x.size(1) != config_.in_channels || x.size(2) != config_.input_size ||
      x.size(3) != config_.input_size)
    fail(arch() + ": input of shape " + c10::str(x.sizes()) + ", expected [B, " +
         std::to_string(config_.in_channels) + ", " + std::to_string(config_.input_size) + ", " +
         std::to_string(config_.input_size) + "]");
  return x_embedder_->forward(x) + pos_embed_;
}

at::Tensor PatchTransformer::embed_condition(const at::Tensor& t, const at::Tensor& y) {
  return t_embedder_->forward(t) + y_embedder_->forward(y);
}

at::Tensor PatchTransformer::forward_with_cfg(const at::Tensor& x, const at::Tensor& t, const at::Tensor& y) {
  return diffbench::forward_with_cfg(*this, x, t, y, config_.guidance);
}

at::Tensor PatchTransformer::forward_with_cfg(const at::Tensor& x, const at::Tensor& t, const at::Tensor& y,
                                              const Guidance& g) {
  return diffbench::forward_with_cfg(*this, x, t, y, g);
}

double PatchTransformer::shared_macs() const {
  const auto& c = config_;
  const double T = c.tokens(), D = c.hidden_size, H = c.mlp_hidden(), p = c.patch_size;
  double macs = T * D * c.in_channels * p * p;  // patch conv
  macs += 256.0 * D + D * D;                     // timestep MLP (once per image)
  const double per_block = T * D * 3 * D        // qkv
                           + 2.0 * T * T * D      // q k^T and attn v
                           + T * D * D            // proj
                           + 2.0 * T * D * H;     // fc1, fc2
  macs += c.depth * per_block;
  macs += T * D * p * p * c.out_channels();  // final linear
  return macs;
}

// ---- Utilities ---------------------------------------------------------------------------------

void randomize_weights(torch::nn::Module& module, uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  torch::NoGradGuard no_grad;
  for (const auto& item : module.named_parameters()) {
    at::Tensor p = item.value();
    if (!p.requires_grad()) continue;  // pos_embed keeps its fixed table
    const double std = p.dim() >= 2 ? 1.0 / std::sqrt(static_cast<double>(p.numel() / p.size(0))) : 0.02;
    at::Tensor v = at::randn(p.sizes(), gen, at::TensorOptions().dtype(at::kFloat)) * std;
    p.copy_(v);
  }
}

int64_t count_parameters(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

}  // namespace diffbench
