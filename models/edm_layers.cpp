#include "models/edm_layers.h"

#include <cmath>

#include "common/error.h"
#include "common/invariant_ops.h"

namespace diffbench::edm {

namespace {
thread_local bool t_meta = false;

at::TensorOptions param_options() {
  return at::TensorOptions().dtype(at::kFloat).device(t_meta ? at::Device(at::kMeta) : at::Device(at::kCPU));
}
}  // namespace

MetaScope::MetaScope() : previous_(t_meta) { t_meta = true; }
MetaScope::~MetaScope() { t_meta = previous_; }
bool MetaScope::active() { return t_meta; }

at::Tensor make_weight(at::IntArrayRef shape, InitMode mode, double scale, int64_t fan_in, int64_t fan_out) {
  at::Tensor t = at::empty(shape, param_options());
  if (t_meta) return t;
  if (scale == 0.0) return t.zero_();
  switch (mode) {
    case InitMode::XavierUniform: t.uniform_(-1, 1).mul_(std::sqrt(6.0 / (fan_in + fan_out))); break;
    case InitMode::XavierNormal: t.normal_().mul_(std::sqrt(2.0 / (fan_in + fan_out))); break;
    case InitMode::KaimingUniform: t.uniform_(-1, 1).mul_(std::sqrt(3.0 / fan_in)); break;
    case InitMode::KaimingNormal: t.normal_().mul_(std::sqrt(1.0 / fan_in)); break;
  }
  return t.mul_(scale);
}

// ---- Linear ------------------------------------------------------------------------------------

Linear::Linear(int64_t in, int64_t out, bool has_bias, const InitSpec& init) : in_features(in), out_features(out) {
  weight = register_parameter("weight", make_weight({out, in}, init.mode, init.weight, in, out));
  if (has_bias) bias = register_parameter("bias", make_weight({out}, init.mode, init.bias, in, out));
}

at::Tensor Linear::forward(const at::Tensor& x) {
  const at::Tensor w = weight.to(x.scalar_type());
  return linear_invariant(x, w, bias.defined() ? bias.to(x.scalar_type()) : at::Tensor());
}

// ---- Conv2d ------------------------------------------------------------------------------------

Conv2d::Conv2d(int64_t in, int64_t out, int kernel, bool has_bias, bool up, bool down,
               const std::vector<double>& filter, const InitSpec& init)
    : in_channels(in), out_channels(out), kernel_(kernel), up_(up), down_(down) {
  if (up && down) fail("edm Conv2d: up and down are exclusive");
  const int64_t k2 = static_cast<int64_t>(kernel) * kernel;
  if (kernel > 0) {
    weight = register_parameter("weight", make_weight({out, in, kernel, kernel}, init.mode, init.weight,
                                                      in * k2, out * k2));
    if (has_bias) bias = register_parameter("bias", make_weight({out}, init.mode, init.bias, in * k2, out * k2));
  }
  if (up || down) {
    at::Tensor f = at::tensor(std::vector<float>(filter.begin(), filter.end()), at::kFloat);
    f = at::outer(f, f).unsqueeze(0).unsqueeze(1) / f.sum().square();
    resample_filter = register_buffer("resample_filter", f.to(param_options().device()));
  }
}

at::Tensor Conv2d::forward(const at::Tensor& input) {
  at::Tensor x = input;
  const int64_t c = in_channels;
  if (up_ || down_) {
    const at::Tensor f = resample_filter.to(x.scalar_type());
    const int64_t f_pad = (f.size(-1) - 1) / 2;
    if (up_)
      x = at::conv_transpose2d(x, f.mul(4).repeat({c, 1, 1, 1}), {}, 2, f_pad, 0, c);
    else
      x = conv2d_invariant(x, f.repeat({c, 1, 1, 1}), {}, {2}, {f_pad}, c);
  }
  if (weight.defined()) x = conv2d_invariant(x, weight.to(x.scalar_type()), {}, {1}, {kernel_ / 2});
  if (bias.defined()) x = x.add(bias.to(x.scalar_type()).reshape({1, -1, 1, 1}));
  return x;
}

double Conv2d::macs(int in_res) const {
  const double r = out_resolution(in_res);
  return weight.defined() ? static_cast<double>(in_channels) * out_channels * kernel_ * kernel_ * r * r : 0.0;
}

// ---- GroupNorm ---------------------------------------------------------------------------------

GroupNorm::GroupNorm(int64_t channels, double eps, int64_t num_groups, int64_t min_per_group)
    : groups_(std::min(num_groups, channels / min_per_group)), eps_(eps) {
  // Checked here, with the sizes, because LibTorch would divide by zero (0 groups) or print a
  // message naming neither the layer nor the config.
  if (groups_ < 1 || channels % groups_ != 0)
    fail("model config: a GroupNorm over " + std::to_string(channels) + " channels needs min(" +
         std::to_string(num_groups) + ", channels / " + std::to_string(min_per_group) +
         ") groups that divide them; choose channel counts (model_channels x channel_mult, ch x ch_mult) that allow it");
  weight = register_parameter("weight", t_meta ? at::empty({channels}, param_options()) : at::ones({channels}));
  bias = register_parameter("bias", t_meta ? at::empty({channels}, param_options()) : at::zeros({channels}));
}

at::Tensor GroupNorm::forward(const at::Tensor& x) {
  return at::group_norm(x, groups_, weight.to(x.scalar_type()), bias.to(x.scalar_type()), eps_);
}

// ---- UNetBlock ---------------------------------------------------------------------------------

UNetBlock::UNetBlock(int64_t in, int64_t out, bool up, bool down, bool attention, const UNetBlockOptions& o)
    : in_channels(in), out_channels(out), o_(o) {
  num_heads = !attention ? 0 : o.num_heads > 0 ? o.num_heads : static_cast<int>(out / o.channels_per_head);
  const auto& f = o.resample_filter;
  norm0 = register_module("norm0", std::make_shared<GroupNorm>(in, o.eps));
  conv0 = register_module("conv0", std::make_shared<Conv2d>(in, out, 3, true, up, down, f, o.init));
  affine = register_module("affine", std::make_shared<Linear>(o.emb_channels, out * (o.adaptive_scale ? 2 : 1),
                                                              true, o.init));
  norm1 = register_module("norm1", std::make_shared<GroupNorm>(out, o.eps));
  conv1 = register_module("conv1", std::make_shared<Conv2d>(out, out, 3, true, false, false, f, o.init_zero));
  if (out != in || up || down) {
    const int kernel = (o.resample_proj || out != in) ? 1 : 0;
    skip = register_module("skip", std::make_shared<Conv2d>(in, out, kernel, true, up, down, f, o.init));
  }
  if (num_heads > 0) {
    norm2 = register_module("norm2", std::make_shared<GroupNorm>(out, o.eps));
    qkv = register_module("qkv", std::make_shared<Conv2d>(out, out * 3, 1, true, false, false, f, o.init_attn));
    proj = register_module("proj", std::make_shared<Conv2d>(out, out, 1, true, false, false, f, o.init_zero));
  }
}

at::Tensor UNetBlock::forward(const at::Tensor& input, const at::Tensor& emb) {
  at::Tensor x = conv0->forward(at::silu(norm0->forward(input)));
  const at::Tensor params = affine->forward(emb).unsqueeze(2).unsqueeze(3).to(x.scalar_type());
  if (o_.adaptive_scale) {
    auto ss = params.chunk(2, 1);  // scale first, then shift
    x = at::silu(at::addcmul(ss[1], norm1->forward(x), ss[0] + 1));
  } else {
    x = at::silu(norm1->forward(x + params));
  }
  x = conv1->forward(at::dropout(x, o_.dropout, is_training()));
  x = (x + (skip ? skip->forward(input) : input)) * o_.skip_scale;
  if (num_heads > 0) {
    const int64_t b = x.size(0), c = x.size(1);
    auto qkv_parts = qkv->forward(norm2->forward(x)).reshape({b * num_heads, c / num_heads, 3, -1}).unbind(2);
    const at::Tensor& q = qkv_parts[0];
    const at::Tensor& k = qkv_parts[1];
    const at::Tensor& v = qkv_parts[2];
    // Attention weights in float32 as EDM does, whatever the activation dtype.
    at::Tensor w = at::bmm(q.transpose(1, 2).to(at::kFloat), (k / std::sqrt(static_cast<double>(k.size(1)))).to(at::kFloat))
                       .softmax(2)
                       .to(q.scalar_type());
    at::Tensor a = at::bmm(v, w.transpose(1, 2));  // [n, c, q]
    x = (proj->forward(a.reshape(x.sizes())) + x) * o_.skip_scale;
  }
  return x;
}

double UNetBlock::macs(int in_res) const {
  const int r = out_resolution(in_res);
  double m = conv0->macs(in_res) + affine->macs() + conv1->macs(r) + (skip ? skip->macs(in_res) : 0.0);
  if (num_heads > 0) {
    const double n = static_cast<double>(r) * r;
    m += qkv->macs(r) + proj->macs(r) + 2.0 * n * n * static_cast<double>(out_channels);
  }
  return m;
}

// ---- Embeddings --------------------------------------------------------------------------------

at::Tensor positional_embedding(const at::Tensor& x, int64_t num_channels, bool endpoint, double max_positions) {
  const int64_t half = num_channels / 2;
  at::Tensor freqs = at::arange(0, half, at::TensorOptions().dtype(at::kFloat).device(x.device()));
  freqs = freqs / static_cast<double>(half - (endpoint ? 1 : 0));
  freqs = at::pow(1.0 / max_positions, freqs);
  at::Tensor arg = at::outer(x, freqs.to(x.scalar_type()));
  return at::cat({arg.cos(), arg.sin()}, 1);
}

int64_t count_parameters(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters(true)) n += p.numel();
  return n;
}

}  // namespace diffbench::edm
