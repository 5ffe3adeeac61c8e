// DiffiT ResBlock and its MLP (see diffit_image_blocks.h).
#include "models/diffit_image_blocks.h"

#include "common/error.h"

namespace diffbench {

namespace {
const edm::InitSpec kXavier{edm::InitMode::XavierUniform, 1.0, 0.0};
}  // namespace

DiffiTMlp::DiffiTMlp(int64_t channels, int64_t hidden, double dropout, bool gelu_tanh)
    : dropout_(dropout), gelu_tanh_(gelu_tanh) {
  fc1 = register_module("fc1", std::make_shared<edm::Linear>(channels, hidden, true, kXavier));
  fc2 = register_module("fc2", std::make_shared<edm::Linear>(hidden, channels, true, kXavier));
}

at::Tensor DiffiTMlp::forward(const at::Tensor& x) {
  at::Tensor h = at::gelu(fc1->forward(x), gelu_tanh_ ? "tanh" : "none");
  return fc2->forward(at::dropout(h, dropout_, is_training()));
}

DiffiTResBlock::DiffiTResBlock(const DiffiTBlockOptions& o) : options_(o) {
  if (o.channels % o.num_heads != 0) {
    fail("diffit-image block: channels " + std::to_string(o.channels) + " not divisible by heads " +
         std::to_string(o.num_heads));
  }
  norm0 = register_module("norm0", std::make_shared<edm::GroupNorm>(o.channels, o.gn_eps, o.gn_groups));
  conv0 = register_module(
      "conv0", std::make_shared<edm::Conv2d>(o.channels, o.channels, 3, true, false, false,
                                             std::vector<double>{1, 1}, kXavier));
  WindowAttentionOptions a;
  a.dim = o.channels;
  a.num_heads = o.num_heads;
  a.window = o.window;
  a.emb_dim = o.emb_channels;
  a.mode = o.attention;
  attn = register_module("attn", std::make_shared<WindowAttention>(a));
  mlp = register_module("mlp", std::make_shared<DiffiTMlp>(o.channels, o.mlp_hidden, o.dropout, o.gelu_tanh));
}

at::Tensor DiffiTResBlock::transformer(const at::Tensor& tokens, const at::Tensor& temb) {
  const std::vector<int64_t> shape{tokens.size(-1)};
  at::Tensor z = tokens + attn->forward(at::layer_norm(tokens, shape, {}, {}, options_.ln_eps), temb);
  return z + mlp->forward(at::layer_norm(z, shape, {}, {}, options_.ln_eps));
}

at::Tensor DiffiTResBlock::forward(const at::Tensor& x, const at::Tensor& temb) {
  const at::Tensor h = conv0->forward(at::silu(norm0->forward(x)));
  const int64_t w = options_.window;
  const at::Tensor z = transformer(window_partition(h, w), temb);
  return window_reverse(z, w, x.size(0), x.size(2), x.size(3)) + x;
}

double DiffiTResBlock::macs(int64_t resolution) const {
  const double tokens = static_cast<double>(resolution) * resolution;
  const double c = static_cast<double>(options_.channels);
  return conv0->macs(static_cast<int>(resolution)) + attn->macs(resolution * resolution) +
         2.0 * tokens * c * static_cast<double>(options_.mlp_hidden);
}

}  // namespace diffbench
