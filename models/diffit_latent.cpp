#include "models/diffit_latent.h"

#include "models/tmsa.h"  // relative_position_index (Swin formula), shared with image-space DiffiT

namespace diffbench {

LatentTMSA::LatentTMSA(int64_t dim, int64_t heads, int64_t window, const at::TensorOptions& opts) : heads_(heads) {
  bias_table_ = register_parameter("relative_position_bias_table",
                                   at::empty({(2 * window - 1) * (2 * window - 1), heads}, opts));
  index_ = register_buffer("relative_position_index", relative_position_index(window).to(opts.device()));
  qkv_temb_ = register_module("qkv_temb", std::make_shared<LinearLayer>(dim, 3 * dim, opts));
  qkv_ = register_module("qkv", std::make_shared<LinearLayer>(dim, 3 * dim, opts));
  proj_ = register_module("proj", std::make_shared<LinearLayer>(dim, dim, opts));
}

at::Tensor LatentTMSA::forward(const at::Tensor& x, const at::Tensor& c) {
  const int64_t n = x.size(1);
  // No activation on c: the time token's qkv is added to every spatial token's qkv.
  at::Tensor qkv = qkv_->forward(x) + qkv_temb_->forward(c).unsqueeze(1).to(x.scalar_type());
  at::Tensor bias = bias_table_.index_select(0, index_.reshape({-1})).reshape({n, n, heads_}).permute({2, 0, 1});
  return proj_->forward(multi_head_attention(qkv, heads_, bias));
}

DiffiTLatentBlock::DiffiTLatentBlock(const PatchTransformerConfig& c, const at::TensorOptions& opts) {
  attn_ = register_module("attn", std::make_shared<LatentTMSA>(c.hidden_size, c.num_heads, c.grid(), opts));
  mlp_ = register_module("mlp", std::make_shared<Mlp>(c.hidden_size, c.mlp_hidden(), opts));
}

at::Tensor DiffiTLatentBlock::forward(const at::Tensor& x, const at::Tensor& c) {
  at::Tensor h = x + attn_->forward(layer_norm_plain(x), c);
  return h + mlp_->forward(layer_norm_plain(h));
}

DiffiTLatentModel::DiffiTLatentModel(PatchTransformerConfig config, const at::TensorOptions& opts)
    : PatchTransformer(std::move(config), opts) {
  const auto& c = config_;
  blocks_ = register_module("blocks", std::make_shared<torch::nn::Module>());
  for (int i = 0; i < c.depth; ++i)
    block_list_.push_back(blocks_->register_module(std::to_string(i), std::make_shared<DiffiTLatentBlock>(c, opts)));
  auto final_layer = register_module("final_layer", std::make_shared<torch::nn::Module>());
  final_linear_ = final_layer->register_module(
      "linear", std::make_shared<LinearLayer>(c.hidden_size, c.patch_size * c.patch_size * c.out_channels(), opts));
}

at::Tensor DiffiTLatentModel::forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& y) {
  at::Tensor h = embed_tokens(x);
  at::Tensor c = embed_condition(t, y);
  for (auto& block : block_list_) h = block->forward(h, c);
  h = final_linear_->forward(at::silu(layer_norm_plain(h)));  // LN, then SiLU, then Linear
  return unpatchify(h, config_.out_channels(), config_.patch_size);
}

double DiffiTLatentModel::macs_per_image() const {
  const double d = config_.hidden_size;
  return shared_macs() + config_.depth * d * 3 * d;  // qkv_temb of the condition token
}

}  // namespace diffbench
