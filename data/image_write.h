// PNG output of uint8 RGB images: single images and N-image grids, each written atomically
// (temp file + rename) so an interrupted run never leaves a truncated PNG.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/Tensor.h>

namespace diffbench {

// `image`: uint8 [H, W, 3] RGB (any strides, CPU or not). Error naming the path on bad input.
void write_png(const std::string& path, const at::Tensor& image);

// The file name of seed s's image in a folder of per-seed PNGs: "000042.png" (as EDM names them).
std::string seed_png_name(uint64_t seed);

// Lays out images (each uint8 [H, W, 3], all one size) row-major in a grid of `columns` columns
// (0: ceil(sqrt(N))), `padding` pixels of `pad_value` between and around cells; empty cells are
// filled with pad_value. Returns the grid as uint8 [H', W', 3].
at::Tensor make_grid(const std::vector<at::Tensor>& images, int columns = 0, int padding = 0, int pad_value = 0);
// A batch uint8 [N, H, W, 3] as a grid PNG.
void write_png_grid(const std::string& path, const at::Tensor& batch, int columns = 0, int padding = 0);
void write_png_grid(const std::string& path, const std::vector<at::Tensor>& images, int columns = 0,
                    int padding = 0);

}  // namespace diffbench
