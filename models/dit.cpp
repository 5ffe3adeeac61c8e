#include "models/dit.h"

namespace diffbench {

namespace {
// modulate(h, shift, scale) = h * (1 + scale) + shift, per sample over tokens.
at::Tensor modulate(const at::Tensor& h, const at::Tensor& shift, const at::Tensor& scale) {
  return h * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1);
}

// adaLN_modulation = Sequential(SiLU, Linear): the Linear sits at index "1".
std::shared_ptr<LinearLayer> register_ada(torch::nn::Module& parent, int64_t dim, int64_t chunks,
                                          const at::TensorOptions& opts) {
  auto holder = parent.register_module("adaLN_modulation", std::make_shared<torch::nn::Module>());
  return holder->register_module("1", std::make_shared<LinearLayer>(dim, chunks * dim, opts));
}
}  // namespace

DiTBlock::DiTBlock(const PatchTransformerConfig& c, const at::TensorOptions& opts) : heads_(c.num_heads) {
  const int64_t d = c.hidden_size;
  auto attn = register_module("attn", std::make_shared<torch::nn::Module>());
  qkv_ = attn->register_module("qkv", std::make_shared<LinearLayer>(d, 3 * d, opts));
  proj_ = attn->register_module("proj", std::make_shared<LinearLayer>(d, d, opts));
  mlp_ = register_module("mlp", std::make_shared<Mlp>(d, c.mlp_hidden(), opts));
  ada_ = register_ada(*this, d, 6, opts);
}

at::Tensor DiTBlock::forward(const at::Tensor& x, const at::Tensor& c) {
  auto mod = ada_->forward(at::silu(c)).chunk(6, 1);  // shift, scale, gate (msa), shift, scale, gate (mlp)
  at::Tensor h = modulate(layer_norm_plain(x), mod[0], mod[1]);
  at::Tensor out = x + mod[2].unsqueeze(1) * proj_->forward(multi_head_attention(qkv_->forward(h), heads_, {}));
  h = modulate(layer_norm_plain(out), mod[3], mod[4]);
  return out + mod[5].unsqueeze(1) * mlp_->forward(h);
}

DiTModel::DiTModel(PatchTransformerConfig config, const at::TensorOptions& opts)
    : PatchTransformer(std::move(config), opts) {
  const auto& c = config_;
  blocks_ = register_module("blocks", std::make_shared<torch::nn::Module>());
  for (int i = 0; i < c.depth; ++i)
    block_list_.push_back(blocks_->register_module(std::to_string(i), std::make_shared<DiTBlock>(c, opts)));
  auto final_layer = register_module("final_layer", std::make_shared<torch::nn::Module>());
  final_linear_ = final_layer->register_module(
      "linear", std::make_shared<LinearLayer>(c.hidden_size, c.patch_size * c.patch_size * c.out_channels(), opts));
  final_ada_ = register_ada(*final_layer, c.hidden_size, 2, opts);
}

at::Tensor DiTModel::forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& y) {
  at::Tensor h = embed_tokens(x);
  at::Tensor c = embed_condition(t, y);
  for (auto& block : block_list_) h = block->forward(h, c);
  auto mod = final_ada_->forward(at::silu(c)).chunk(2, 1);  // shift first
  h = final_linear_->forward(modulate(layer_norm_plain(h), mod[0], mod[1]));
  return unpatchify(h, config_.out_channels(), config_.patch_size);
}

double DiTModel::macs_per_image() const {
  const double d = config_.hidden_size;
  return shared_macs() + config_.depth * d * 6 * d + d * 2 * d;  // adaLN projections
}

}  // namespace diffbench
