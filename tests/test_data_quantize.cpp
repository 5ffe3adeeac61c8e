// [data] float -> uint8 quantisation (bytes from the references' torch expressions) and PNG output.
#include <catch2/catch.hpp>

#include <filesystem>

#include "build_info.h"
#include "common/error.h"
#include "common/files.h"
#include "data/image_write.h"
#include "data/quantize.h"
#include "data/source.h"
#include "io/npy.h"

namespace fs = std::filesystem;
using namespace diffbench;

namespace {
const std::string kExpected = std::string(DIFFBENCH_SOURCE_DIR) + "/tests/data/sources/expected/";
}

TEST_CASE("quantize_to_uint8: EDM/DiT round and ADM/DiffiT truncate match the references' bytes", "[data]") {
  const at::Tensor x = read_npy(kExpected + "quantize_x.npy");
  const at::Tensor round = quantize_to_uint8(x, QuantizeRule::round);
  const at::Tensor trunc = quantize_to_uint8(x, QuantizeRule::truncate);
  CHECK(torch::equal(round, read_npy(kExpected + "quantize_round.npy")));
  CHECK(torch::equal(trunc, read_npy(kExpected + "quantize_truncate.npy")));
  // x = 0 -> 128 vs 127, x = -0.5 -> 64 vs 63: the half-LSB gap between the two rules.
  CHECK(round[5].item<int>() == 128);
  CHECK(trunc[5].item<int>() == 127);
  CHECK(round[3].item<int>() == 64);
  CHECK(trunc[3].item<int>() == 63);
  // Out-of-range values saturate, double input is computed in float32 like the references.
  CHECK(torch::equal(quantize_to_uint8(x.to(torch::kFloat64), QuantizeRule::round), round));
  const at::Tensor unit = torch::tensor({-0.01f, 0.0f, 0.5f / 255, 0.4f / 255, 0.5f, 1.0f, 1.01f});
  CHECK(torch::equal(quantize_to_uint8(unit, QuantizeRule::round, SampleRange::zero_one),
                     torch::tensor({0, 0, 1, 0, 128, 255, 255}, torch::kUInt8)));
  CHECK(torch::equal(quantize_to_uint8(unit, QuantizeRule::truncate, SampleRange::zero_one),
                     torch::tensor({0, 0, 0, 0, 127, 255, 255}, torch::kUInt8)));
  CHECK(parse_quantize_rule("truncate") == QuantizeRule::truncate);
  CHECK(to_string(QuantizeRule::round) == "round");
  CHECK_THROWS_WITH(parse_quantize_rule("floor"),
                    "quantisation rule 'floor' is not known, expected round (EDM/DiT) or truncate (ADM/DiffiT)");
  CHECK_THROWS_WITH(quantize_to_uint8(torch::tensor({0.0f, NAN}), QuantizeRule::round),
                    "quantize_to_uint8: the samples contain NaN (diverged sampler?)");
}

TEST_CASE("write_png and the grid writer round-trip exactly", "[data]") {
  const fs::path dir = fs::temp_directory_path() / ("diffbench-test-png-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const at::Tensor batch = torch::randint(0, 256, {5, 3, 4, 3}, torch::TensorOptions().dtype(torch::kUInt8));
  write_png((dir / "one.png").string(), batch[2].transpose(0, 1));  // non-contiguous input
  const at::Tensor back = decode_image_rgb(read_file((dir / "one.png").string()), "one.png");
  CHECK(torch::equal(back, batch[2].transpose(0, 1)));

  write_png_grid((dir / "grid.png").string(), batch, 0, 1);  // 5 images -> 3 columns, 2 rows
  const at::Tensor grid = decode_image_rgb(read_file((dir / "grid.png").string()), "grid.png");
  REQUIRE(grid.sizes() == at::IntArrayRef({2 * (3 + 1) + 1, 3 * (4 + 1) + 1, 3}));
  CHECK(torch::equal(grid.narrow(0, 1, 3).narrow(1, 1, 4), batch[0]));
  CHECK(torch::equal(grid.narrow(0, 1, 3).narrow(1, 11, 4), batch[2]));
  CHECK(torch::equal(grid.narrow(0, 5, 3).narrow(1, 6, 4), batch[4]));
  CHECK(grid.narrow(0, 5, 3).narrow(1, 11, 4).sum().item<int64_t>() == 0);  // empty cell
  CHECK(grid[0].sum().item<int64_t>() == 0);                                 // padding row
  CHECK(make_grid({batch[0], batch[1]}, 1).sizes() == at::IntArrayRef({6, 4, 3}));
  CHECK_THROWS_WITH(write_png((dir / "bad.png").string(), torch::zeros({3, 4, 3})),
                    (dir / "bad.png").string() + ": expected a uint8 [H, W, 3] RGB image, got float [3, 4, 3]");
  CHECK_THROWS_WITH(make_grid({batch[0], batch[1].narrow(0, 0, 2)}),
                    "make_grid image 1: [2, 4, 3], expected [3, 4, 3] like image 0");
  fs::remove_all(dir);
}
