#include "metrics/inception.h"

#include <cstdlib>

#include "common/invariant_ops.h"
#include "metrics/inception_ops.h"

namespace diffbench {

// oneDNN otherwise picks AVX-512 where present, whose conv kernels round differently from the AVX2 ones the
// golden features were computed with (1e-4 off) and run slower on our machines. oneDNN reads the cap once, at
// its first convolution, so it is set before main; ONEDNN_MAX_CPU_ISA / DNNL_MAX_CPU_ISA in the environment win.
static const bool g_onednn_isa_capped = [] {
  if (std::getenv("ONEDNN_MAX_CPU_ISA") || std::getenv("DNNL_MAX_CPU_ISA")) return false;
  setenv("ONEDNN_MAX_CPU_ISA", "AVX2", 0);
  setenv("DNNL_MAX_CPU_ISA", "AVX2", 0);
  return true;
}();

namespace F = torch::nn::functional;

// ---- the unit ---------------------------------------------------------------------------------------------

InceptionUnitImpl::InceptionUnitImpl(int64_t in, int64_t out, int64_t kh, int64_t kw, int64_t stride, int64_t ph,
                                     int64_t pw)
    : stride_{stride, stride}, padding_{ph, pw} {
  conv = register_module(
      "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, {kh, kw})
                                    .stride(stride)
                                    .padding({ph, pw})
                                    .bias(false)));
  bn = register_module("bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(out).eps(0.001)));
}

at::Tensor InceptionUnitImpl::forward(const at::Tensor& x) {
  if (folded_weight_.defined())
    return conv2d_invariant(x, folded_weight_, folded_bias_, stride_, padding_).relu_();
  // The reference's own sequence (conv, eval-mode batch_norm, relu): bit-identical to pytorch-fid on CPU,
  // through the oneDNN convolution pytorch-fid's batches of 50 on 2 threads get, for any batch or thread count.
  at::Tensor y = conv2d_invariant(x, conv->weight, {}, stride_, padding_);
  return batchnorm_relu_(y, bn->weight, bn->bias, bn->running_mean, bn->running_var, bn->options.eps());
}

void InceptionUnitImpl::fold_batchnorm() {
  torch::NoGradGuard no_grad;
  at::Tensor scale = bn->weight.to(at::kDouble) / at::sqrt(bn->running_var.to(at::kDouble) + bn->options.eps());
  folded_weight_ = (conv->weight.to(at::kDouble) * scale.view({-1, 1, 1, 1})).to(conv->weight.dtype()).contiguous();
  folded_bias_ = (bn->bias.to(at::kDouble) - bn->running_mean.to(at::kDouble) * scale).to(conv->weight.dtype());
}

// ---- pools ------------------------------------------------------------------------------------------------

// TF's SAME average pool divides by the valid pixels only (count_include_pad=False): avg_pool_3x3_same and
// max_pool_3x3_stride2 are in metrics/inception_ops.h.

// ---- blocks (names are pytorch-fid's; branch order in the concat is the reference's) ----------------------

namespace {

using Unit = InceptionUnit;

struct BlockAImpl : torch::nn::Module {  // FIDInceptionA: Mixed_5b/5c/5d
  BlockAImpl(int64_t in, int64_t pool_features) {
    branch1x1 = register_module("branch1x1", Unit(in, 64, 1, 1));
    branch5x5_1 = register_module("branch5x5_1", Unit(in, 48, 1, 1));
    branch5x5_2 = register_module("branch5x5_2", Unit(48, 64, 5, 5, 1, 2, 2));
    branch3x3dbl_1 = register_module("branch3x3dbl_1", Unit(in, 64, 1, 1));
    branch3x3dbl_2 = register_module("branch3x3dbl_2", Unit(64, 96, 3, 3, 1, 1, 1));
    branch3x3dbl_3 = register_module("branch3x3dbl_3", Unit(96, 96, 3, 3, 1, 1, 1));
    branch_pool = register_module("branch_pool", Unit(in, pool_features, 1, 1));
  }
  at::Tensor forward(const at::Tensor& x) {
    at::Tensor a = branch1x1(x);
    at::Tensor b = branch5x5_2(branch5x5_1(x));
    at::Tensor c = branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x)));
    at::Tensor d = branch_pool(avg_pool_3x3_same(x));
    return at::cat({a, b, c, d}, 1);
  }
  Unit branch1x1{nullptr}, branch5x5_1{nullptr}, branch5x5_2{nullptr}, branch3x3dbl_1{nullptr},
      branch3x3dbl_2{nullptr}, branch3x3dbl_3{nullptr}, branch_pool{nullptr};
};
TORCH_MODULE(BlockA);

struct BlockBImpl : torch::nn::Module {  // InceptionB: Mixed_6a (35 -> 17)
  explicit BlockBImpl(int64_t in) {
    branch3x3 = register_module("branch3x3", Unit(in, 384, 3, 3, 2));
    branch3x3dbl_1 = register_module("branch3x3dbl_1", Unit(in, 64, 1, 1));
    branch3x3dbl_2 = register_module("branch3x3dbl_2", Unit(64, 96, 3, 3, 1, 1, 1));
    branch3x3dbl_3 = register_module("branch3x3dbl_3", Unit(96, 96, 3, 3, 2));
  }
  at::Tensor forward(const at::Tensor& x) {
    at::Tensor a = branch3x3(x);
    at::Tensor b = branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x)));
    return at::cat({a, b, max_pool_3x3_stride2(x)}, 1);
  }
  Unit branch3x3{nullptr}, branch3x3dbl_1{nullptr}, branch3x3dbl_2{nullptr}, branch3x3dbl_3{nullptr};
};
TORCH_MODULE(BlockB);

struct BlockCImpl : torch::nn::Module {  // FIDInceptionC: Mixed_6b..6e (17x17, factorised 7x7)
  BlockCImpl(int64_t in, int64_t c7) {
    branch1x1 = register_module("branch1x1", Unit(in, 192, 1, 1));
    branch7x7_1 = register_module("branch7x7_1", Unit(in, c7, 1, 1));
    branch7x7_2 = register_module("branch7x7_2", Unit(c7, c7, 1, 7, 1, 0, 3));
    branch7x7_3 = register_module("branch7x7_3", Unit(c7, 192, 7, 1, 1, 3, 0));
    branch7x7dbl_1 = register_module("branch7x7dbl_1", Unit(in, c7, 1, 1));
    branch7x7dbl_2 = register_module("branch7x7dbl_2", Unit(c7, c7, 7, 1, 1, 3, 0));
    branch7x7dbl_3 = register_module("branch7x7dbl_3", Unit(c7, c7, 1, 7, 1, 0, 3));
    branch7x7dbl_4 = register_module("branch7x7dbl_4", Unit(c7, c7, 7, 1, 1, 3, 0));
    branch7x7dbl_5 = register_module("branch7x7dbl_5", Unit(c7, 192, 1, 7, 1, 0, 3));
    branch_pool = register_module("branch_pool", Unit(in, 192, 1, 1));
  }
  // `branch1x1_out`, when given, receives the 1x1 branch's output (the sFID tap of Mixed_6d).
  at::Tensor forward(const at::Tensor& x, at::Tensor* branch1x1_out = nullptr) {
    at::Tensor a = branch1x1(x);
    if (branch1x1_out) *branch1x1_out = a;
    at::Tensor b = branch7x7_3(branch7x7_2(branch7x7_1(x)));
    at::Tensor c = branch7x7dbl_5(branch7x7dbl_4(branch7x7dbl_3(branch7x7dbl_2(branch7x7dbl_1(x)))));
    at::Tensor d = branch_pool(avg_pool_3x3_same(x));
    return at::cat({a, b, c, d}, 1);
  }
  Unit branch1x1{nullptr}, branch7x7_1{nullptr}, branch7x7_2{nullptr}, branch7x7_3{nullptr},
      branch7x7dbl_1{nullptr}, branch7x7dbl_2{nullptr}, branch7x7dbl_3{nullptr}, branch7x7dbl_4{nullptr},
      branch7x7dbl_5{nullptr}, branch_pool{nullptr};
};
TORCH_MODULE(BlockC);

struct BlockDImpl : torch::nn::Module {  // InceptionD: Mixed_7a (17 -> 8)
  explicit BlockDImpl(int64_t in) {
    branch3x3_1 = register_module("branch3x3_1", Unit(in, 192, 1, 1));
    branch3x3_2 = register_module("branch3x3_2", Unit(192, 320, 3, 3, 2));
    branch7x7x3_1 = register_module("branch7x7x3_1", Unit(in, 192, 1, 1));
    branch7x7x3_2 = register_module("branch7x7x3_2", Unit(192, 192, 1, 7, 1, 0, 3));
    branch7x7x3_3 = register_module("branch7x7x3_3", Unit(192, 192, 7, 1, 1, 3, 0));
    branch7x7x3_4 = register_module("branch7x7x3_4", Unit(192, 192, 3, 3, 2));
  }
  at::Tensor forward(const at::Tensor& x) {
    at::Tensor a = branch3x3_2(branch3x3_1(x));
    at::Tensor b = branch7x7x3_4(branch7x7x3_3(branch7x7x3_2(branch7x7x3_1(x))));
    return at::cat({a, b, max_pool_3x3_stride2(x)}, 1);
  }
  Unit branch3x3_1{nullptr}, branch3x3_2{nullptr}, branch7x7x3_1{nullptr}, branch7x7x3_2{nullptr},
      branch7x7x3_3{nullptr}, branch7x7x3_4{nullptr};
};
TORCH_MODULE(BlockD);

struct BlockEImpl : torch::nn::Module {  // FIDInceptionE_1 (Mixed_7b, avg pool) / E_2 (Mixed_7c, max pool)
  BlockEImpl(int64_t in, bool max_pool_branch) : max_pool_branch_(max_pool_branch) {
    branch1x1 = register_module("branch1x1", Unit(in, 320, 1, 1));
    branch3x3_1 = register_module("branch3x3_1", Unit(in, 384, 1, 1));
    branch3x3_2a = register_module("branch3x3_2a", Unit(384, 384, 1, 3, 1, 0, 1));
    branch3x3_2b = register_module("branch3x3_2b", Unit(384, 384, 3, 1, 1, 1, 0));
    branch3x3dbl_1 = register_module("branch3x3dbl_1", Unit(in, 448, 1, 1));
    branch3x3dbl_2 = register_module("branch3x3dbl_2", Unit(448, 384, 3, 3, 1, 1, 1));
    branch3x3dbl_3a = register_module("branch3x3dbl_3a", Unit(384, 384, 1, 3, 1, 0, 1));
    branch3x3dbl_3b = register_module("branch3x3dbl_3b", Unit(384, 384, 3, 1, 1, 1, 0));
    branch_pool = register_module("branch_pool", Unit(in, 192, 1, 1));
  }
  at::Tensor forward(const at::Tensor& x) {
    at::Tensor a = branch1x1(x);
    at::Tensor b = branch3x3_1(x);
    at::Tensor c = branch3x3dbl_2(branch3x3dbl_1(x));
    // Mixed_7c's pool branch is a max pool: a quirk of the TF graph, kept on purpose.
    at::Tensor p = max_pool_branch_ ? at::max_pool2d(x, {3, 3}, {1, 1}, {1, 1}) : avg_pool_3x3_same(x);
    return at::cat({a, branch3x3_2a(b), branch3x3_2b(b), branch3x3dbl_3a(c), branch3x3dbl_3b(c), branch_pool(p)}, 1);
  }
  Unit branch1x1{nullptr}, branch3x3_1{nullptr}, branch3x3_2a{nullptr}, branch3x3_2b{nullptr},
      branch3x3dbl_1{nullptr}, branch3x3dbl_2{nullptr}, branch3x3dbl_3a{nullptr}, branch3x3dbl_3b{nullptr},
      branch_pool{nullptr};

 private:
  bool max_pool_branch_;
};
TORCH_MODULE(BlockE);

}  // namespace

// ---- the network ------------------------------------------------------------------------------------------

FidInceptionV3Impl::FidInceptionV3Impl() {
  register_module("Conv2d_1a_3x3", Unit(3, 32, 3, 3, 2));
  register_module("Conv2d_2a_3x3", Unit(32, 32, 3, 3));
  register_module("Conv2d_2b_3x3", Unit(32, 64, 3, 3, 1, 1, 1));
  register_module("Conv2d_3b_1x1", Unit(64, 80, 1, 1));
  register_module("Conv2d_4a_3x3", Unit(80, 192, 3, 3));
  register_module("Mixed_5b", BlockA(192, 32));
  register_module("Mixed_5c", BlockA(256, 64));
  register_module("Mixed_5d", BlockA(288, 64));
  register_module("Mixed_6a", BlockB(288));
  register_module("Mixed_6b", BlockC(768, 128));
  register_module("Mixed_6c", BlockC(768, 160));
  register_module("Mixed_6d", BlockC(768, 160));
  register_module("Mixed_6e", BlockC(768, 192));
  register_module("Mixed_7a", BlockD(768));
  register_module("Mixed_7b", BlockE(1280, false));
  register_module("Mixed_7c", BlockE(2048, true));
  fc = register_module("fc", torch::nn::Linear(2048, 1008));
}

InceptionOutputs FidInceptionV3Impl::forward(const at::Tensor& input, const InceptionTaps& taps) {
  auto child = [this](const char* name) { return named_children()[name]; };
  auto unit = [&](const char* name, const at::Tensor& x) { return child(name)->as<InceptionUnitImpl>()->forward(x); };
  auto block = [&](const char* name) { return child(name); };

  at::Tensor x = unit("Conv2d_1a_3x3", input);
  x = unit("Conv2d_2a_3x3", x);
  x = unit("Conv2d_2b_3x3", x);
  x = max_pool_3x3_stride2(x);
  x = unit("Conv2d_3b_1x1", x);
  x = unit("Conv2d_4a_3x3", x);
  x = max_pool_3x3_stride2(x);
  for (const char* name : {"Mixed_5b", "Mixed_5c", "Mixed_5d"}) x = block(name)->as<BlockAImpl>()->forward(x);
  x = block("Mixed_6a")->as<BlockBImpl>()->forward(x);
  at::Tensor tap_6d;
  x = block("Mixed_6b")->as<BlockCImpl>()->forward(x);
  x = block("Mixed_6c")->as<BlockCImpl>()->forward(x);
  x = block("Mixed_6d")->as<BlockCImpl>()->forward(x, taps.spatial ? &tap_6d : nullptr);
  x = block("Mixed_6e")->as<BlockCImpl>()->forward(x);
  x = block("Mixed_7a")->as<BlockDImpl>()->forward(x);
  x = block("Mixed_7b")->as<BlockEImpl>()->forward(x);
  x = block("Mixed_7c")->as<BlockEImpl>()->forward(x);

  InceptionOutputs out;
  out.pool3 = at::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
  // IS logits ignore fc.bias (TF improved-gan, ADM, torch-fidelity `logits_unbiased`).
  if (taps.logits) out.logits = at::matmul(out.pool3, fc->weight.t());
  if (taps.spatial)  // first 7 channels, flattened H, W, C (index (h*17 + w)*7 + c)
    out.spatial = tap_6d.narrow(1, 0, 7).permute({0, 2, 3, 1}).reshape({tap_6d.size(0), -1});
  return out;
}

void FidInceptionV3Impl::fold_batchnorm() {
  for (auto& m : modules(/*include_self=*/false))
    if (auto* u = m->as<InceptionUnitImpl>()) u->fold_batchnorm();
}

std::vector<std::string> inception_unit_names() {
  FidInceptionV3 net;
  std::vector<std::string> names;
  for (const auto& item : net->named_modules("", /*include_self=*/false))
    if (item.value()->as<InceptionUnitImpl>()) names.push_back(item.key());
  return names;
}

}  // namespace diffbench
