// Image sources: a path, detected by what it is, read in index ranges so that a 50k-image set
// never sits in memory at once. Every source yields uint8 RGB images (H x W x 3, contiguous)
// in a fixed order, converted exactly as PIL's convert('RGB') does.
//
//   folder of images   recursive, sorted by relative path, case-insensitive extensions
//   .zip of images     the EDM/StyleGAN dataset-zip layout (members sorted by name)
//   .npz               arr_0 uint8 NHWC (ADM sample / reference batches), ZIP64 and streaming
//   .npy               the same layout as a plain array file (clean-fid accepts these)
//   CIFAR-10 binary    a folder with data_batch_1..5.bin / test_batch.bin, split train|test
//   MNIST/Fashion idx  a folder with *-images-idx3-ubyte[.gz], split train|test
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <ATen/Tensor.h>

namespace diffbench {

struct SourceOptions {
  std::string split = "train";  // for CIFAR-10 and idx sources: "train" or "test"
  bool require_same_size = false;  // a mix of sizes is then an Error naming the first odd file
};

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  virtual long size() const = 0;                  // number of images
  virtual std::string kind() const = 0;           // "folder", "zip", "npz", "npy", "cifar10", "idx"
  virtual std::string path() const = 0;
  virtual std::string name_of(long index) const = 0;  // file / member name or "<split>[i]"
  // Images [start, start + count) as uint8 RGB tensors [H, W, 3]. Error naming the file on failure.
  virtual std::vector<at::Tensor> read(long start, long count) = 0;
  // SHA-256 over the source's content (files' bytes in order, or the container's bytes) and the
  // split: the key of the statistics cache, so a changed file invalidates it.
  virtual std::string content_hash() = 0;
};

// Opens `path` as the right kind of source. Error when it is none of them, empty, or unreadable.
std::unique_ptr<ImageSource> open_source(const std::string& path, const SourceOptions& options = {});

// Decodes one encoded image (png/jpg/bmp/webp/tif bytes) to uint8 RGB [H, W, 3] the way PIL's
// convert('RGB') does (checked against Pillow 9.4): gray replicated, alpha dropped without
// compositing, palette expanded, 16-bit gray clipped to min(v, 255) (PIL's I -> L), 16-bit
// RGB(A) / gray+alpha reduced to the high byte v >> 8. No EXIF rotation (PIL applies none either).
at::Tensor decode_image_rgb(const std::string& bytes, const std::string& origin);

}  // namespace diffbench
