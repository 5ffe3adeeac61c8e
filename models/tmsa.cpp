// Windowed TMSA and its plain counterpart (see tmsa.h).
#include "models/tmsa.h"

#include <cmath>

#include "common/error.h"

namespace diffbench {

TimeAttention parse_time_attention(const std::string& name, const std::string& where) {
  if (name == "tmsa") return TimeAttention::Tmsa;
  if (name == "plain") return TimeAttention::Plain;
  fail(where + ": unknown attention \"" + name + "\", expected \"tmsa\" or \"plain\"");
}

const char* time_attention_name(TimeAttention mode) {
  return mode == TimeAttention::Tmsa ? "tmsa" : "plain";
}

at::Tensor relative_position_index(int64_t window) {
  const int64_t n = window * window;
  at::Tensor index = torch::empty({n, n}, torch::kInt64);
  auto acc = index.accessor<int64_t, 2>();
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      const int64_t dr = i / window - j / window + window - 1;
      const int64_t dc = i % window - j % window + window - 1;
      acc[i][j] = dr * (2 * window - 1) + dc;
    }
  }
  return index;
}

at::Tensor window_partition(const at::Tensor& x, int64_t window) {
  const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  if (h % window != 0 || w % window != 0) {
    fail("window attention: feature map " + std::to_string(h) + "x" + std::to_string(w) +
         " is not divisible by window " + std::to_string(window));
  }
  return x.permute({0, 2, 3, 1})
      .reshape({b, h / window, window, w / window, window, c})
      .permute({0, 1, 3, 2, 4, 5})
      .reshape({b * (h / window) * (w / window), window * window, c});
}

at::Tensor window_reverse(const at::Tensor& tokens, int64_t window, int64_t batch, int64_t height,
                          int64_t width) {
  const int64_t c = tokens.size(2);
  return tokens.reshape({batch, height / window, width / window, window, window, c})
      .permute({0, 5, 1, 3, 2, 4})
      .reshape({batch, c, height, width});
}

WindowAttention::WindowAttention(const WindowAttentionOptions& options) : options_(options) {
  const int64_t c = options.dim, w = options.window, heads = options.num_heads;
  if (c <= 0 || heads <= 0 || c % heads != 0) {
    fail("window attention: channels " + std::to_string(c) + " not divisible by heads " +
         std::to_string(heads));
  }
  const bool meta = edm::MetaScope::active();
  const at::Device device = meta ? at::Device(at::kMeta) : at::Device(at::kCPU);
  // Registration order is the reference state_dict order: table, index, time path, qkv, proj.
  at::Tensor table = at::empty({(2 * w - 1) * (2 * w - 1), heads}, at::TensorOptions().device(device));
  // timm's trunc_normal_(std=0.02) cuts at absolute ±2, i.e. effectively never.
  if (!meta) table.normal_(0.0, 0.02).clamp_(-2.0, 2.0);
  relative_position_bias_table = register_parameter("relative_position_bias_table", table);
  relative_position_index =
      register_buffer("relative_position_index", diffbench::relative_position_index(w).to(device));
  const edm::InitSpec init{edm::InitMode::XavierUniform, 1.0, 0.0};
  if (options.mode == TimeAttention::Tmsa) {
    qkv_temb = register_module("qkv_temb", std::make_shared<edm::Linear>(options.emb_dim, 3 * c, true, init));
  } else {
    temb_proj = register_module("temb_proj", std::make_shared<edm::Linear>(options.emb_dim, c, true, init));
  }
  qkv = register_module("qkv", std::make_shared<edm::Linear>(c, 3 * c, true, init));
  proj = register_module("proj", std::make_shared<edm::Linear>(c, c, true, init));
}

at::Tensor WindowAttention::forward(const at::Tensor& tokens, const at::Tensor& temb) {
  const int64_t bw = tokens.size(0), n = tokens.size(1), c = tokens.size(2);
  const int64_t heads = options_.num_heads, head_dim = c / heads;
  const int64_t images = temb.size(0);
  if (images <= 0 || bw % images != 0) {
    fail("window attention: " + std::to_string(bw) + " windows do not split over " +
         std::to_string(images) + " time tokens");
  }
  const int64_t windows_per_image = bw / images;
  // The time term is computed once per image, then shared by all of its windows and tokens.
  auto per_window = [&](const at::Tensor& t) {
    return t.unsqueeze(1).expand({images, windows_per_image, t.size(1)}).reshape({bw, 1, t.size(1)});
  };
  at::Tensor q_k_v;
  if (options_.mode == TimeAttention::Tmsa) {
    q_k_v = qkv->forward(tokens) + per_window(qkv_temb->forward(temb).to(tokens.scalar_type()));
  } else {
    q_k_v = qkv->forward(tokens + per_window(temb_proj->forward(temb).to(tokens.scalar_type())));
  }
  q_k_v = q_k_v.reshape({bw, n, 3, heads, head_dim}).permute({2, 0, 3, 1, 4});
  const at::Tensor q = q_k_v[0] * (1.0 / std::sqrt(static_cast<double>(head_dim)));
  const at::Tensor k = q_k_v[1], v = q_k_v[2];
  // bias[h, i, j] = table[index[i, j], h]
  const at::Tensor bias = relative_position_bias_table.index_select(0, relative_position_index.reshape(-1))
                              .reshape({n, n, heads})
                              .permute({2, 0, 1});
  at::Tensor attn = torch::matmul(q, k.transpose(-2, -1)) + bias.unsqueeze(0).to(q.scalar_type());
  attn = torch::softmax(attn, -1);
  const at::Tensor out = torch::matmul(attn, v).transpose(1, 2).reshape({bw, n, c});
  return proj->forward(out);
}

double WindowAttention::macs(int64_t tokens_per_image) const {
  const double c = static_cast<double>(options_.dim), t = static_cast<double>(tokens_per_image);
  const double n = static_cast<double>(options_.window * options_.window);
  const double e = static_cast<double>(options_.emb_dim);
  const double time = options_.mode == TimeAttention::Tmsa ? e * 3 * c : e * c;
  return time + t * c * 3 * c + 2 * t * n * c + t * c * c;
}

}  // namespace diffbench
