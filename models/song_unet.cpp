#include "models/song_unet.h"

#include <cmath>

#include "common/error.h"
#include "models/edm_layers_config.h"

namespace diffbench {

using edm::InitMode;
using edm::InitSpec;

SongUNetConfig SongUNetConfig::from_json(ConfigReader& r, int img_resolution, int channels, int label_dim) {
  SongUNetConfig c;
  read_shared_unet_args(r, img_resolution, channels, label_dim, c);
  c.embedding_type = r.get_string("embedding_type", c.embedding_type);
  c.channel_mult_noise = r.get_int("channel_mult_noise", c.channel_mult_noise, 1);
  c.encoder_type = r.get_string("encoder_type", c.encoder_type);
  c.decoder_type = r.get_string("decoder_type", c.decoder_type);
  c.resample_filter = r.get_doubles("resample_filter", c.resample_filter);
  // NCSN++ (fourier embedding, residual/skip encoder and decoder) is not ported yet.
  if (c.embedding_type != "positional")
    fail(r.origin() + ": embedding_type \"" + c.embedding_type + "\" is not supported (expected \"positional\")");
  if (c.encoder_type != "standard")
    fail(r.origin() + ": encoder_type \"" + c.encoder_type + "\" is not supported (expected \"standard\")");
  if (c.decoder_type != "standard")
    fail(r.origin() + ": decoder_type \"" + c.decoder_type + "\" is not supported (expected \"standard\")");
  check_unet_levels(r, c);
  return c;
}

SongUNet::SongUNet(const SongUNetConfig& c) : cfg_(c) {
  const int64_t emb_channels = static_cast<int64_t>(c.model_channels) * c.channel_mult_emb;
  const int64_t noise_channels = static_cast<int64_t>(c.model_channels) * c.channel_mult_noise;
  const InitSpec init{InitMode::XavierUniform, 1.0, 0.0};
  const InitSpec init_zero{InitMode::XavierUniform, 1e-5, 0.0};
  const InitSpec init_attn{InitMode::XavierUniform, std::sqrt(0.2), 0.0};
  edm::UNetBlockOptions bo;
  bo.emb_channels = emb_channels;
  bo.num_heads = 1;
  bo.dropout = c.dropout;
  bo.skip_scale = std::sqrt(0.5);
  bo.eps = 1e-6;
  bo.resample_filter = c.resample_filter;
  bo.resample_proj = true;
  bo.adaptive_scale = false;
  bo.init = init;
  bo.init_zero = init_zero;
  bo.init_attn = init_attn;

  // Mapping network.
  if (c.label_dim) map_label = register_module("map_label", std::make_shared<edm::Linear>(c.label_dim, noise_channels, true, init));
  if (c.augment_dim)
    map_augment = register_module("map_augment", std::make_shared<edm::Linear>(c.augment_dim, noise_channels, false, init));
  map_layer0 = register_module("map_layer0", std::make_shared<edm::Linear>(noise_channels, emb_channels, true, init));
  map_layer1 = register_module("map_layer1", std::make_shared<edm::Linear>(emb_channels, emb_channels, true, init));

  auto has_attn = [&](int res) {
    return std::find(c.attn_resolutions.begin(), c.attn_resolutions.end(), res) != c.attn_resolutions.end();
  };
  auto tag = [](int res) { return std::to_string(res) + "x" + std::to_string(res); };

  // Encoder.
  enc_ = register_module("enc", std::make_shared<torch::nn::Module>());
  std::vector<int64_t> skips;
  int64_t cout = c.in_channels;
  const int levels = static_cast<int>(c.channel_mult.size());
  for (int level = 0; level < levels; ++level) {
    const int res = c.img_resolution >> level;
    if (level == 0) {
      const int64_t cin = cout;
      cout = c.model_channels;
      auto conv = std::make_shared<edm::Conv2d>(cin, cout, 3, true, false, false, c.resample_filter, init);
      enc_list_.push_back({tag(res) + "_conv", enc_->register_module(tag(res) + "_conv", conv), nullptr, nullptr});
    } else {
      auto blk = std::make_shared<edm::UNetBlock>(cout, cout, false, true, false, bo);
      enc_list_.push_back({tag(res) + "_down", nullptr, enc_->register_module(tag(res) + "_down", blk), nullptr});
    }
    skips.push_back(cout);
    for (int idx = 0; idx < c.num_blocks; ++idx) {
      const int64_t cin = cout;
      cout = static_cast<int64_t>(c.model_channels) * c.channel_mult[level];
      const std::string name = tag(res) + "_block" + std::to_string(idx);
      auto blk = std::make_shared<edm::UNetBlock>(cin, cout, false, false, has_attn(res), bo);
      enc_list_.push_back({name, nullptr, enc_->register_module(name, blk), nullptr});
      skips.push_back(cout);
    }
  }

  // Decoder.
  dec_ = register_module("dec", std::make_shared<torch::nn::Module>());
  auto add_dec = [&](const std::string& name, int64_t cin, int64_t co, bool up, bool attn) {
    auto blk = std::make_shared<edm::UNetBlock>(cin, co, up, false, attn, bo);
    dec_list_.push_back({name, nullptr, dec_->register_module(name, blk), nullptr});
  };
  for (int level = levels - 1; level >= 0; --level) {
    const int res = c.img_resolution >> level;
    if (level == levels - 1) {
      add_dec(tag(res) + "_in0", cout, cout, false, true);
      add_dec(tag(res) + "_in1", cout, cout, false, false);
    } else {
      add_dec(tag(res) + "_up", cout, cout, true, false);
    }
    for (int idx = 0; idx <= c.num_blocks; ++idx) {
      const int64_t cin = cout + skips.back();
      skips.pop_back();
      cout = static_cast<int64_t>(c.model_channels) * c.channel_mult[level];
      add_dec(tag(res) + "_block" + std::to_string(idx), cin, cout, false, idx == c.num_blocks && has_attn(res));
    }
    if (level == 0) {
      auto norm = std::make_shared<edm::GroupNorm>(cout, 1e-6);
      dec_list_.push_back({tag(res) + "_aux_norm", nullptr, nullptr, dec_->register_module(tag(res) + "_aux_norm", norm)});
      auto conv = std::make_shared<edm::Conv2d>(cout, c.out_channels, 3, true, false, false, c.resample_filter, init_zero);
      dec_list_.push_back({tag(res) + "_aux_conv", dec_->register_module(tag(res) + "_aux_conv", conv), nullptr, nullptr});
    }
  }
}

at::Tensor SongUNet::forward(const at::Tensor& x_in, const at::Tensor& noise_labels, const at::Tensor& class_labels,
                             const at::Tensor& augment_labels) {
  // Mapping: positional embedding with its halves swapped to [sin, cos].
  const int64_t noise_channels = static_cast<int64_t>(cfg_.model_channels) * cfg_.channel_mult_noise;
  at::Tensor emb = edm::positional_embedding(noise_labels, noise_channels, /*endpoint=*/true);
  emb = emb.reshape({emb.size(0), 2, -1}).flip(1).reshape(emb.sizes());
  if (map_label) {
    if (!class_labels.defined()) fail("SongUNet: class_labels are required (label_dim > 0)");
    at::Tensor tmp = class_labels;
    if (is_training() && cfg_.label_dropout > 0)
      tmp = tmp * (at::rand({x_in.size(0), 1}, tmp.options()) >= cfg_.label_dropout).to(tmp.scalar_type());
    emb = emb + map_label->forward(tmp * std::sqrt(static_cast<double>(map_label->in_features)));
  }
  if (map_augment && augment_labels.defined()) emb = emb + map_augment->forward(augment_labels);
  emb = at::silu(map_layer0->forward(emb));
  emb = at::silu(map_layer1->forward(emb));

  std::vector<at::Tensor> skips;
  at::Tensor x = x_in;
  for (auto& e : enc_list_) {
    x = e.block ? e.block->forward(x, emb) : e.conv->forward(x);
    skips.push_back(x);
  }
  at::Tensor aux, tmp;
  for (auto& e : dec_list_) {
    if (e.norm) {
      tmp = e.norm->forward(x);
    } else if (e.conv) {
      tmp = e.conv->forward(at::silu(tmp));
      aux = aux.defined() ? tmp + aux : tmp;
    } else {
      if (x.size(1) != e.block->in_channels) {
        x = at::cat({x, skips.back()}, 1);
        skips.pop_back();
      }
      x = e.block->forward(x, emb);
    }
  }
  return aux;
}

double SongUNet::macs_per_image() const {
  double m = (map_label ? map_label->macs() : 0.0) + map_layer0->macs() + map_layer1->macs();
  int res = cfg_.img_resolution;
  for (const auto& e : enc_list_) {
    if (e.block) {
      m += e.block->macs(res);
      res = e.block->out_resolution(res);
    } else {
      m += e.conv->macs(res);
    }
  }
  for (const auto& e : dec_list_) {
    if (e.block) {
      m += e.block->macs(res);
      res = e.block->out_resolution(res);
    } else if (e.conv) {
      m += e.conv->macs(res);
    }
  }
  return m;
}

}  // namespace diffbench
