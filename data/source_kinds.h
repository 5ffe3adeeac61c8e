// Internal to data/: the concrete source kinds that open_source() chooses between, and the
// shared machinery of the two encoded-image kinds (folder, zip).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "common/hash.h"
#include "data/source.h"

namespace diffbench {

std::unique_ptr<ImageSource> open_folder_source(const std::string& path, const SourceOptions& options);
std::unique_ptr<ImageSource> open_zip_source(const std::string& path, const SourceOptions& options);
std::unique_ptr<ImageSource> open_npz_source(const std::string& path, const SourceOptions& options);  // or .npy
std::unique_ptr<ImageSource> open_cifar10_source(const std::string& dir, const SourceOptions& options);
std::unique_ptr<ImageSource> open_idx_source(const std::string& dir, const SourceOptions& options);

// png, jpg, jpeg, bmp, webp, tif, tiff in any letter case (pitfalls.md #17).
bool is_image_name(const std::string& name);
// The split of a CIFAR-10 / idx source: "train" or "test", else an Error naming the source.
std::string checked_split(const std::string& path, const std::string& split);
// Error unless [start, start + count) lies inside a source of `size` images.
void check_range(const std::string& path, long start, long count, long size);
// Feeds a length-prefixed name and then the file's bytes (streamed) into `hash`.
void hash_named_file(Sha256& hash, const std::string& name, const std::string& file);
void hash_named_bytes(Sha256& hash, const std::string& name, const std::string& bytes);

// Folder and zip sources: a sorted list of encoded images, decoded on read.
class EncodedImageSource : public ImageSource {
 public:
  EncodedImageSource(std::string path, std::vector<std::string> names, const SourceOptions& options);
  long size() const override { return static_cast<long>(names_.size()); }
  std::string path() const override { return path_; }
  std::string name_of(long index) const override { return names_.at(static_cast<size_t>(index)); }
  std::vector<at::Tensor> read(long start, long count) override;

 protected:
  virtual std::string fetch(long index) = 0;        // the encoded bytes of image `index`
  virtual std::string origin(long index) const = 0;  // how errors name image `index`
  void init_size_check();  // call at the end of the subclass constructor

  std::string path_;
  std::vector<std::string> names_;

 private:
  bool require_same_size_;
  long reference_index_ = -1;  // the image whose size all others must have
  int64_t reference_h_ = 0, reference_w_ = 0;
};

}  // namespace diffbench
