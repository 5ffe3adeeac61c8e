// SD VAE kl-f8 decoder: golden parity against CompVis/latent-diffusion, the diffusers and legacy
// diffusers key layouts (renamed in memory with the golden mapping), full-size size and cost.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>

#include "common/error.h"
#include "io/state_dict.h"
#include "models/edm_layers.h"
#include "models/registry_unets.h"
#include "models/vae_decoder.h"
#include "test_unet_helpers.h"

using namespace diffbench;
using namespace diffbench::testing_unet;

namespace {

nlohmann::json small_config() {
  return {{"arch", "sd-vae-decoder"}, {"ch", 32}, {"out_ch", 3}, {"ch_mult", {1, 2, 2}}, {"num_res_blocks", 2},
          {"attn_resolutions", nlohmann::json::array()}, {"dropout", 0.0}, {"resolution", 32}, {"z_channels", 4},
          {"embed_dim", 4}};
}

// weights.safetensors (bare Decoder) + post_quant_conv.safetensors as one AutoencoderKL-named dict.
StateDict golden_ldm_state() {
  StateDict s;
  for (const auto& [k, v] : load_state_dict(golden("sd_vae_decoder/weights.safetensors"))) s.insert("decoder." + k, v);
  for (const auto& [k, v] : load_state_dict(golden("sd_vae_decoder/post_quant_conv.safetensors"))) s.insert(k, v);
  return s;
}

// ldm name -> (diffusers name, legacy diffusers name) from the golden mapping file.
std::map<std::string, std::pair<std::string, std::string>> mapping() {
  std::ifstream in(golden("sd_vae_decoder/ldm_to_diffusers.txt"));
  std::map<std::string, std::pair<std::string, std::string>> m;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ss(line);
    std::string ldm, diff, legacy;
    std::getline(ss, ldm, '\t');
    std::getline(ss, diff, '\t');
    std::getline(ss, legacy, '\t');
    m[ldm] = {diff, legacy};
  }
  return m;
}

StateDict renamed(const StateDict& ldm, bool legacy) {
  const auto m = mapping();
  StateDict out;
  for (const auto& [k, v] : ldm) {
    const auto& names = m.at(k);
    // diffusers stores attention projections as Linear weights [C, C].
    const bool attn = k.find("attn_1.") != std::string::npos && v.dim() == 4;
    out.insert(legacy ? names.second : names.first, attn ? v.squeeze(-1).squeeze(-1) : v);
  }
  return out;
}

}  // namespace

TEST_CASE("SD VAE decoder matches latent-diffusion (Decoder(z) and AutoencoderKL.decode(z))", "[unet]") {
  torch::NoGradGuard no_grad;
  auto vae = build_vae_decoder(small_config());
  vae->load(golden_ldm_state(), "sd_vae_decoder");
  vae->eval();
  const auto z = npy("sd_vae_decoder/z.npy");
  CHECK(max_rel(vae->decoder_forward(z), npy("sd_vae_decoder/decoder_out.npy")) < 1e-4);
  CHECK(max_rel(vae->decode(z), npy("sd_vae_decoder/decode_out.npy")) < 1e-4);
  CHECK(edm::count_parameters(vae->decoder_module()) == 754051);
  // A bare Decoder file (no "decoder." prefix) plus the post_quant_conv file loads the same.
  StateDict bare = load_state_dict(golden("sd_vae_decoder/weights.safetensors"));
  for (const auto& [k, v] : load_state_dict(golden("sd_vae_decoder/post_quant_conv.safetensors"))) bare.insert(k, v);
  auto vae2 = build_vae_decoder(small_config());
  vae2->load(bare, "bare");
  vae2->eval();
  CHECK(max_rel(vae2->decode(z), npy("sd_vae_decoder/decode_out.npy")) < 1e-4);
}

TEST_CASE("SD VAE decoder loads diffusers and legacy diffusers names ([C,C] attention weights)", "[unet]") {
  torch::NoGradGuard no_grad;
  const auto z = npy("sd_vae_decoder/z.npy");
  const StateDict ldm = golden_ldm_state();
  for (bool legacy : {false, true}) {
    StateDict state = renamed(ldm, legacy);
    // Wrapped as a full diffusers file would be: encoder entries present and ignored.
    state.insert("encoder.conv_in.weight", at::zeros({32, 3, 3, 3}));
    state.insert("quant_conv.weight", at::zeros({8, 8, 1, 1}));
    INFO("legacy names: " << legacy);
    CHECK(state.contains(legacy ? "decoder.mid_block.attentions.0.query.weight" : "decoder.mid_block.attentions.0.to_q.weight"));
    auto vae = build_vae_decoder(small_config());
    vae->load(state, legacy ? "legacy" : "diffusers");
    vae->eval();
    CHECK(max_rel(vae->decode(z), npy("sd_vae_decoder/decode_out.npy")) < 1e-4);
  }
  // SD-v1 checkpoints prefix every key with first_stage_model.
  StateDict prefixed;
  for (const auto& [k, v] : ldm) prefixed.insert("first_stage_model." + k, v);
  CHECK(vae_state_to_ldm(prefixed).size() == ldm.size());
}

TEST_CASE("SD VAE decoder: missing weights fail naming the key; kl-f8 size and cost", "[unet]") {
  StateDict state = golden_ldm_state();
  StateDict partial;
  for (const auto& [k, v] : state)
    if (k != "decoder.conv_out.bias") partial.insert(k, v);
  auto vae = build_vae_decoder(small_config());
  CHECK_THROWS_WITH(vae->load(partial, "partial.safetensors"),
                    "partial.safetensors: weights do not match the module (1 missing: decoder.conv_out.bias)");

  edm::MetaScope meta;
  auto full = build_vae_decoder(read_model_config(std::string(DIFFBENCH_SOURCE_DIR) + "/models/configs/sd-vae-kl-f8.json"));
  CHECK(edm::count_parameters(full->decoder_module()) == 49490179);
  CHECK(edm::count_parameters(*full) == 49490199);
  std::set<std::string> ours, theirs;
  const StateDict state_full = module_state_dict(full->decoder_module());  // kept alive: items() refers into it
  for (const auto& [name, t] : state_full.items()) ours.insert(name + " " + shape_text(t.sizes()));
  for (const auto& [name, shape] : read_keys(golden("full_size/sd_vae_kl_f8_decoder/keys.txt"))) theirs.insert(name + " " + shape);
  CHECK(ours == theirs);
  // baselines.md §11.3: 310.0 GMAC convolutions + 1.07 attention at 256x256.
  CHECK(full->macs_per_image() / 1e9 == Approx(311.1).margin(0.6));
}
