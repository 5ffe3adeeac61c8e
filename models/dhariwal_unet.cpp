#include "models/dhariwal_unet.h"

#include <cmath>

#include "common/error.h"
#include "models/edm_layers_config.h"

namespace diffbench {

using edm::InitMode;
using edm::InitSpec;

DhariwalUNetConfig DhariwalUNetConfig::from_json(ConfigReader& r, int img_resolution, int channels, int label_dim) {
  DhariwalUNetConfig c;
  read_shared_unet_args(r, img_resolution, channels, label_dim, c);
  check_unet_levels(r, c);
  return c;
}

DhariwalUNet::DhariwalUNet(const DhariwalUNetConfig& c) : cfg_(c) {
  const int64_t emb_channels = static_cast<int64_t>(c.model_channels) * c.channel_mult_emb;
  const InitSpec init{InitMode::KaimingUniform, std::sqrt(1.0 / 3), std::sqrt(1.0 / 3)};
  const InitSpec init_zero{InitMode::KaimingUniform, 0.0, 0.0};
  edm::UNetBlockOptions bo;
  bo.emb_channels = emb_channels;
  bo.channels_per_head = 64;
  bo.dropout = c.dropout;
  bo.init = init;
  bo.init_zero = init_zero;
  bo.init_attn = init;

  if (c.augment_dim)
    map_augment = register_module("map_augment", std::make_shared<edm::Linear>(c.augment_dim, c.model_channels, false, init_zero));
  map_layer0 = register_module("map_layer0", std::make_shared<edm::Linear>(c.model_channels, emb_channels, true, init));
  map_layer1 = register_module("map_layer1", std::make_shared<edm::Linear>(emb_channels, emb_channels, true, init));
  if (c.label_dim)
    map_label = register_module("map_label", std::make_shared<edm::Linear>(
        c.label_dim, emb_channels, false, InitSpec{InitMode::KaimingNormal, std::sqrt(static_cast<double>(c.label_dim)), 0.0}));

  auto has_attn = [&](int res) {
    return std::find(c.attn_resolutions.begin(), c.attn_resolutions.end(), res) != c.attn_resolutions.end();
  };
  auto tag = [](int res) { return std::to_string(res) + "x" + std::to_string(res); };

  enc_ = register_module("enc", std::make_shared<torch::nn::Module>());
  std::vector<int64_t> skips;
  int64_t cout = c.in_channels;
  const int levels = static_cast<int>(c.channel_mult.size());
  for (int level = 0; level < levels; ++level) {
    const int res = c.img_resolution >> level;
    if (level == 0) {
      const int64_t cin = cout;
      cout = static_cast<int64_t>(c.model_channels) * c.channel_mult[level];
      auto conv = std::make_shared<edm::Conv2d>(cin, cout, 3, true, false, false, bo.resample_filter, init);
      enc_list_.push_back({tag(res) + "_conv", enc_->register_module(tag(res) + "_conv", conv), nullptr});
    } else {
      auto blk = std::make_shared<edm::UNetBlock>(cout, cout, false, true, false, bo);
      enc_list_.push_back({tag(res) + "_down", nullptr, enc_->register_module(tag(res) + "_down", blk)});
    }
    skips.push_back(cout);
    for (int idx = 0; idx < c.num_blocks; ++idx) {
      const int64_t cin = cout;
      cout = static_cast<int64_t>(c.model_channels) * c.channel_mult[level];
      const std::string name = tag(res) + "_block" + std::to_string(idx);
      auto blk = std::make_shared<edm::UNetBlock>(cin, cout, false, false, has_attn(res), bo);
      enc_list_.push_back({name, nullptr, enc_->register_module(name, blk)});
      skips.push_back(cout);
    }
  }

  dec_ = register_module("dec", std::make_shared<torch::nn::Module>());
  auto add_dec = [&](const std::string& name, int64_t cin, int64_t co, bool up, bool attn) {
    auto blk = std::make_shared<edm::UNetBlock>(cin, co, up, false, attn, bo);
    dec_list_.push_back({name, nullptr, dec_->register_module(name, blk)});
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
      add_dec(tag(res) + "_block" + std::to_string(idx), cin, cout, false, has_attn(res));
    }
  }
  out_norm = register_module("out_norm", std::make_shared<edm::GroupNorm>(cout, 1e-5));
  out_conv = register_module("out_conv", std::make_shared<edm::Conv2d>(cout, c.out_channels, 3, true, false, false,
                                                                        bo.resample_filter, init_zero));
}

at::Tensor DhariwalUNet::forward(const at::Tensor& x_in, const at::Tensor& noise_labels, const at::Tensor& class_labels,
                                 const at::Tensor& augment_labels) {
  // Mapping: [cos, sin] positional embedding (not swapped), label added after map_layer1.
  at::Tensor emb = edm::positional_embedding(noise_labels, cfg_.model_channels, /*endpoint=*/false);
  if (map_augment && augment_labels.defined()) emb = emb + map_augment->forward(augment_labels);
  emb = at::silu(map_layer0->forward(emb));
  emb = map_layer1->forward(emb);
  if (map_label) {
    if (!class_labels.defined()) fail("DhariwalUNet: class_labels are required (label_dim > 0)");
    at::Tensor tmp = class_labels;
    if (is_training() && cfg_.label_dropout > 0)
      tmp = tmp * (at::rand({x_in.size(0), 1}, tmp.options()) >= cfg_.label_dropout).to(tmp.scalar_type());
    emb = emb + map_label->forward(tmp);
  }
  emb = at::silu(emb);

  std::vector<at::Tensor> skips;
  at::Tensor x = x_in;
  for (auto& e : enc_list_) {
    x = e.block ? e.block->forward(x, emb) : e.conv->forward(x);
    skips.push_back(x);
  }
  for (auto& e : dec_list_) {
    if (x.size(1) != e.block->in_channels) {
      x = at::cat({x, skips.back()}, 1);
      skips.pop_back();
    }
    x = e.block->forward(x, emb);
  }
  return out_conv->forward(at::silu(out_norm->forward(x)));
}

double DhariwalUNet::macs_per_image() const {
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
    m += e.block->macs(res);
    res = e.block->out_resolution(res);
  }
  return m + out_conv->macs(res);
}

}  // namespace diffbench
