// Windowed self-attention over image tokens, in DiffiT's two flavours (diffit.md §2.4, §3.3):
//   "tmsa":  q,k,v = qkv(z) + qkv_temb(x_t)        (time-dependent attention, the paper's TMSA)
//   "plain": q,k,v = qkv(z + temb_proj(x_t))       (usual attention, time added to its input tokens)
// Both carry a learned per-head relative position bias over one w×w window (Swin indexing).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include <ATen/Tensor.h>
#include <torch/nn/module.h>

#include "models/edm_layers.h"

namespace diffbench {

enum class TimeAttention { Tmsa, Plain };
// "tmsa" | "plain"; Error naming `where` otherwise.
TimeAttention parse_time_attention(const std::string& name, const std::string& where);
const char* time_attention_name(TimeAttention mode);

// Swin relative position index for a w×w window, int64 [w², w²]:
// index[i,j] = (r_i − r_j + w − 1)·(2w − 1) + (c_i − c_j + w − 1), tokens row-major.
at::Tensor relative_position_index(int64_t window);

// (B,C,H,W) -> (B·(H/w)·(W/w), w², C): windows row-major over the image, tokens row-major inside.
at::Tensor window_partition(const at::Tensor& x, int64_t window);
// Inverse of window_partition for an image batch of size (batch, ·, height, width).
at::Tensor window_reverse(const at::Tensor& tokens, int64_t window, int64_t batch, int64_t height,
                          int64_t width);

struct WindowAttentionOptions {
  int64_t dim = 0;        // token channels C
  int64_t num_heads = 1;  // head dim = C / num_heads
  int64_t window = 1;     // tokens per window = window²
  int64_t emb_dim = 0;    // time-token channels
  TimeAttention mode = TimeAttention::Tmsa;
};

// Keys: relative_position_bias_table [(2w−1)², heads], relative_position_index [w², w²] (buffer),
// qkv_temb [3C, E] (tmsa) or temb_proj [C, E] (plain), qkv [3C, C], proj [C, C].
// Inside an edm::MetaScope the tensors are shapes only (parameter counts of full-size models).
class WindowAttention : public torch::nn::Module {
 public:
  explicit WindowAttention(const WindowAttentionOptions& options);
  // tokens (B·nW, w², C) from window_partition of B images; temb (B, E), one time token per image.
  at::Tensor forward(const at::Tensor& tokens, const at::Tensor& temb);
  // MACs for one image of `tokens_per_image` tokens (linear layers + the two attention matmuls).
  double macs(int64_t tokens_per_image) const;
  const WindowAttentionOptions& options() const { return options_; }

  at::Tensor relative_position_bias_table;
  at::Tensor relative_position_index;
  // Initialised xavier-uniform with zero bias; temb_proj is null in "tmsa" mode, qkv_temb in "plain".
  std::shared_ptr<edm::Linear> qkv_temb, temb_proj, qkv, proj;

 private:
  WindowAttentionOptions options_;
};

}  // namespace diffbench
