#include "models/vae_decoder.h"

#include <cmath>
#include <regex>

#include "common/error.h"
#include "io/state_dict.h"
#include "models/edm_layers_config.h"

namespace diffbench {

namespace {
// PyTorch's default conv init (kaiming_uniform(a=sqrt(5)) = U(+-1/sqrt(fan_in))); weights are loaded anyway.
const edm::InitSpec kInit{edm::InitMode::KaimingUniform, std::sqrt(1.0 / 3), std::sqrt(1.0 / 3)};
const std::vector<double> kNoFilter{1, 1};

std::shared_ptr<edm::Conv2d> conv(int64_t in, int64_t out, int k) {
  return std::make_shared<edm::Conv2d>(in, out, k, true, false, false, kNoFilter, kInit);
}
std::shared_ptr<edm::GroupNorm> make_norm(int64_t c) { return std::make_shared<edm::GroupNorm>(c, 1e-6, 32, 1); }
}  // namespace

VaeDecoderConfig VaeDecoderConfig::from_json(const nlohmann::json& config) {
  ConfigReader r(config, "vae config");
  VaeDecoderConfig c;
  const std::string arch = r.get_string("arch", "sd-vae-decoder");
  if (arch != "sd-vae-decoder") fail("vae config: arch \"" + arch + "\" is not \"sd-vae-decoder\"");
  c.ch = r.get_int("ch", c.ch, 1);
  c.out_ch = r.get_int("out_ch", c.out_ch, 1);
  c.ch_mult = r.get_ints("ch_mult", c.ch_mult, 1);
  c.num_res_blocks = r.get_int("num_res_blocks", c.num_res_blocks, 1);
  c.attn_resolutions = r.get_ints("attn_resolutions", c.attn_resolutions, 1);
  c.dropout = r.get_double("dropout", c.dropout);
  c.resamp_with_conv = r.get_bool("resamp_with_conv", c.resamp_with_conv);
  c.in_channels = r.get_int("in_channels", c.in_channels, 1);
  c.resolution = r.get_int("resolution", c.resolution, 1);
  c.z_channels = r.get_int("z_channels", c.z_channels, 1);
  c.embed_dim = r.get_int("embed_dim", c.embed_dim, 1);
  c.scaling_factor = r.get_double("scaling_factor", c.scaling_factor);
  r.get_bool("double_z", true);  // an encoder argument; accepted so LDM ddconfigs load unchanged
  if (!c.resamp_with_conv) fail("vae config: resamp_with_conv false is not supported (every SD VAE uses true)");
  if (c.ch_mult.empty()) fail("vae config: ch_mult must not be empty");
  r.reject_unused({"name", "description", "source", "notes", "weights"});
  return c;
}

namespace vae {

ResnetBlock::ResnetBlock(int64_t in, int64_t out, double dropout) : dropout_(dropout) {
  norm1 = register_module("norm1", make_norm(in));
  conv1 = register_module("conv1", conv(in, out, 3));
  norm2 = register_module("norm2", make_norm(out));
  conv2 = register_module("conv2", conv(out, out, 3));
  if (in != out) nin_shortcut = register_module("nin_shortcut", conv(in, out, 1));
}

at::Tensor ResnetBlock::forward(const at::Tensor& x) {
  at::Tensor h = conv1->forward(at::silu(norm1->forward(x)));
  h = conv2->forward(at::dropout(at::silu(norm2->forward(h)), dropout_, is_training()));
  return (nin_shortcut ? nin_shortcut->forward(x) : x) + h;
}

double ResnetBlock::macs(int res) const {
  return conv1->macs(res) + conv2->macs(res) + (nin_shortcut ? nin_shortcut->macs(res) : 0.0);
}

AttnBlock::AttnBlock(int64_t c) {
  norm = register_module("norm", make_norm(c));
  q = register_module("q", conv(c, c, 1));
  k = register_module("k", conv(c, c, 1));
  v = register_module("v", conv(c, c, 1));
  proj_out = register_module("proj_out", conv(c, c, 1));
}

at::Tensor AttnBlock::forward(const at::Tensor& x) {
  const at::Tensor h = norm->forward(x);
  const int64_t b = x.size(0), c = x.size(1), n = x.size(2) * x.size(3);
  const at::Tensor qq = q->forward(h).reshape({b, c, n}).transpose(1, 2);  // [b, n, c]
  const at::Tensor kk = k->forward(h).reshape({b, c, n});
  const at::Tensor vv = v->forward(h).reshape({b, c, n});
  const at::Tensor w = (at::bmm(qq, kk) * std::pow(static_cast<double>(c), -0.5)).softmax(2);  // [b, q, k]
  const at::Tensor a = at::bmm(vv, w.transpose(1, 2)).reshape(x.sizes());
  return x + proj_out->forward(a);
}

double AttnBlock::macs(int res) const {
  const double n = static_cast<double>(res) * res;
  return q->macs(res) * 4 + 2.0 * n * n * static_cast<double>(q->in_channels);
}

}  // namespace vae

VaeDecoder::VaeDecoder(const VaeDecoderConfig& c) : cfg_(c) {
  const int num_res = static_cast<int>(c.ch_mult.size());
  int64_t block_in = static_cast<int64_t>(c.ch) * c.ch_mult.back();
  int curr_res = c.resolution >> (num_res - 1);
  conv_in = register_module("conv_in", conv(c.z_channels, block_in, 3));
  auto mid = register_module("mid", std::make_shared<torch::nn::Module>());
  mid_block_1 = mid->register_module("block_1", std::make_shared<vae::ResnetBlock>(block_in, block_in, c.dropout));
  mid_attn_1 = mid->register_module("attn_1", std::make_shared<vae::AttnBlock>(block_in));
  mid_block_2 = mid->register_module("block_2", std::make_shared<vae::ResnetBlock>(block_in, block_in, c.dropout));

  // LDM indexes the up levels by resolution (up.0 is the finest) but builds them coarsest first.
  levels_.resize(num_res);
  std::vector<std::shared_ptr<torch::nn::Module>> level_modules(num_res);
  for (int i = num_res - 1; i >= 0; --i) {
    auto lm = std::make_shared<torch::nn::Module>();
    auto blocks = std::make_shared<torch::nn::Module>();
    auto attns = std::make_shared<torch::nn::Module>();
    const int64_t block_out = static_cast<int64_t>(c.ch) * c.ch_mult[i];
    for (int j = 0; j <= c.num_res_blocks; ++j) {
      levels_[i].blocks.push_back(blocks->register_module(
          std::to_string(j), std::make_shared<vae::ResnetBlock>(block_in, block_out, c.dropout)));
      block_in = block_out;
      if (std::find(c.attn_resolutions.begin(), c.attn_resolutions.end(), curr_res) != c.attn_resolutions.end())
        levels_[i].attns.push_back(
            attns->register_module(std::to_string(levels_[i].attns.size()), std::make_shared<vae::AttnBlock>(block_in)));
    }
    lm->register_module("block", blocks);
    lm->register_module("attn", attns);
    if (i != 0) {
      auto up = lm->register_module("upsample", std::make_shared<torch::nn::Module>());
      levels_[i].upsample = up->register_module("conv", conv(block_in, block_in, 3));
      curr_res *= 2;
    }
    level_modules[i] = lm;
  }
  auto up = register_module("up", std::make_shared<torch::nn::Module>());
  for (int i = 0; i < num_res; ++i) up->register_module(std::to_string(i), level_modules[i]);
  norm_out = register_module("norm_out", make_norm(block_in));
  conv_out = register_module("conv_out", conv(block_in, c.out_ch, 3));
}

at::Tensor VaeDecoder::forward(const at::Tensor& z) {
  at::Tensor h = conv_in->forward(z);
  h = mid_block_2->forward(mid_attn_1->forward(mid_block_1->forward(h)));
  for (int i = static_cast<int>(levels_.size()) - 1; i >= 0; --i) {
    auto& level = levels_[i];
    for (size_t j = 0; j < level.blocks.size(); ++j) {
      h = level.blocks[j]->forward(h);
      if (!level.attns.empty()) h = level.attns[j]->forward(h);
    }
    if (level.upsample) {
      h = at::upsample_nearest2d(h, {h.size(2) * 2, h.size(3) * 2});
      h = level.upsample->forward(h);
    }
  }
  return conv_out->forward(at::silu(norm_out->forward(h)));
}

double VaeDecoder::macs(int res) const {
  double m = conv_in->macs(res) + mid_block_1->macs(res) + mid_attn_1->macs(res) + mid_block_2->macs(res);
  for (int i = static_cast<int>(levels_.size()) - 1; i >= 0; --i) {
    const auto& level = levels_[i];
    for (size_t j = 0; j < level.blocks.size(); ++j) {
      m += level.blocks[j]->macs(res);
      if (!level.attns.empty()) m += level.attns[j]->macs(res);
    }
    if (level.upsample) {
      res *= 2;
      m += level.upsample->macs(res);
    }
  }
  return m + conv_out->macs(res);
}

SdVaeDecoder::SdVaeDecoder(const VaeDecoderConfig& c) : cfg_(c) {
  decoder = register_module("decoder", std::make_shared<VaeDecoder>(c));
  post_quant_conv = register_module("post_quant_conv", conv(c.embed_dim, c.z_channels, 1));
}

at::Tensor SdVaeDecoder::decode(const at::Tensor& z) {
  // Always float32: the SD VAE overflows in fp16 (pitfalls #40).
  return decoder->forward(post_quant_conv->forward(z.to(at::kFloat)));
}

at::Tensor SdVaeDecoder::decoder_forward(const at::Tensor& z) { return decoder->forward(z.to(at::kFloat)); }

void SdVaeDecoder::load(const StateDict& state, const std::string& origin) {
  load_into_module(*this, vae_state_to_ldm(state), origin);
}

double SdVaeDecoder::macs_per_image() const {
  const int latent = cfg_.resolution >> (cfg_.ch_mult.size() - 1);
  return post_quant_conv->macs(latent) + decoder->macs(latent);
}

// ---- Key mapping --------------------------------------------------------------------------------

namespace {

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

// Diffusers attention names (current and legacy) -> LDM names.
std::string ldm_attention_name(std::string rest) {
  static const std::vector<std::pair<std::string, std::string>> kNames{
      {"group_norm.", "norm."}, {"to_q.", "q."},   {"to_k.", "k."},          {"to_v.", "v."},
      {"to_out.0.", "proj_out."}, {"query.", "q."}, {"key.", "k."}, {"value.", "v."}, {"proj_attn.", "proj_out."}};
  for (const auto& [from, to] : kNames)
    if (starts_with(rest, from)) return to + rest.substr(from.size());
  return rest;
}

}  // namespace

StateDict vae_state_to_ldm(const StateDict& state) {
  // 1. Strip wrapper prefixes, keep the decoding half.
  std::vector<std::pair<std::string, at::Tensor>> items;
  bool any_decoder_prefix = false;
  for (const auto& [name0, t] : state) {
    std::string name = name0;
    for (const char* p : {"first_stage_model.", "vae.", "module."})
      if (starts_with(name, p)) name = name.substr(std::strlen(p));
    if (starts_with(name, "decoder.")) any_decoder_prefix = true;
    items.emplace_back(name, t);
  }
  std::vector<std::pair<std::string, at::Tensor>> kept;
  for (auto& [name, t] : items) {
    if (starts_with(name, "post_quant_conv.")) {
      kept.emplace_back(name, t);
    } else if (any_decoder_prefix) {
      if (starts_with(name, "decoder.")) kept.emplace_back(name, t);
    } else if (!starts_with(name, "encoder.") && !starts_with(name, "quant_conv.") && !starts_with(name, "loss.")) {
      kept.emplace_back("decoder." + name, t);  // a bare Decoder state dict
    }
  }
  // 2. Diffusers -> LDM names. Diffusers orders up blocks by execution (coarsest first).
  int num_up = 0;
  static const std::regex kUpBlock(R"(^decoder\.up_blocks\.(\d+)\.)");
  for (const auto& [name, t] : kept) {
    std::smatch m;
    if (std::regex_search(name, m, kUpBlock)) num_up = std::max(num_up, std::stoi(m[1]) + 1);
  }
  static const std::regex kUpRes(R"(^decoder\.up_blocks\.(\d+)\.(resnets|attentions|upsamplers)\.(\d+)\.(.*)$)");
  static const std::regex kMid(R"(^decoder\.mid_block\.(resnets|attentions)\.(\d+)\.(.*)$)");
  StateDict out;
  for (auto& [name, t0] : kept) {
    std::string n = name;
    at::Tensor t = t0;
    std::smatch m;
    if (std::regex_match(name, m, kUpRes)) {
      const std::string level = std::to_string(num_up - 1 - std::stoi(m[1]));
      const std::string kind = m[2], idx = m[3];
      std::string rest = m[4];
      if (kind == "resnets") {
        replace_all(rest, "conv_shortcut.", "nin_shortcut.");
        n = "decoder.up." + level + ".block." + idx + "." + rest;
      } else if (kind == "attentions") {
        n = "decoder.up." + level + ".attn." + idx + "." + ldm_attention_name(rest);
      } else {
        n = "decoder.up." + level + ".upsample." + rest;
      }
    } else if (std::regex_match(name, m, kMid)) {
      const std::string kind = m[1];
      std::string rest = m[3];
      if (kind == "resnets") {
        replace_all(rest, "conv_shortcut.", "nin_shortcut.");
        n = std::string("decoder.mid.block_") + (m[2] == "0" ? "1" : "2") + "." + rest;
      } else {
        n = "decoder.mid.attn_1." + ldm_attention_name(rest);
      }
    } else if (starts_with(name, "decoder.conv_norm_out.")) {
      n = "decoder.norm_out." + name.substr(std::strlen("decoder.conv_norm_out."));
    }
    // 3. Linear attention weights [C,C] -> 1x1 conv [C,C,1,1].
    static const std::regex kAttnWeight(R"(\.(attn_1|attn\.\d+)\.(q|k|v|proj_out)\.weight$)");
    if (t.dim() == 2 && std::regex_search(n, kAttnWeight)) t = t.unsqueeze(-1).unsqueeze(-1);
    out.insert(n, t);
  }
  return out;
}

std::shared_ptr<SdVaeDecoder> build_vae_decoder(const nlohmann::json& config) {
  return std::make_shared<SdVaeDecoder>(VaeDecoderConfig::from_json(config));
}

}  // namespace diffbench
