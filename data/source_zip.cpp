// A zip of images (EDM/StyleGAN dataset zips): image members at any depth, sorted by name;
// dataset.json and other members are ignored.
#include <algorithm>

#include "common/error.h"
#include "common/log.h"
#include "data/source_kinds.h"
#include "io/zip_reader.h"

namespace diffbench {
namespace {

class ZipSource : public EncodedImageSource {
 public:
  ZipSource(std::unique_ptr<ZipReader> archive, std::vector<std::string> names, const SourceOptions& options)
      : EncodedImageSource(archive->path(), std::move(names), options), archive_(std::move(archive)) {
    init_size_check();
  }
  std::string kind() const override { return "zip"; }

  std::string content_hash() override {
    // Member names and uncompressed bytes: a re-compressed but identical set keeps its hash.
    Sha256 hash;
    hash.update(std::string("diffbench-zip-v1"));
    for (const auto& name : names_) hash_named_bytes(hash, name, archive_->read(name));
    return hash.hex_digest();
  }

 protected:
  std::string fetch(long index) override { return archive_->read(names_[static_cast<size_t>(index)]); }
  std::string origin(long index) const override { return path_ + ":" + names_[static_cast<size_t>(index)]; }

 private:
  std::unique_ptr<ZipReader> archive_;
};

}  // namespace

std::unique_ptr<ImageSource> open_zip_source(const std::string& path, const SourceOptions& options) {
  auto archive = std::make_unique<ZipReader>(path);
  std::vector<std::string> names;
  for (const auto& name : archive->names()) {
    const bool directory = !name.empty() && name.back() == '/';
    const bool mac_metadata = name.rfind("__MACOSX/", 0) == 0;  // Finder's resource forks are not images
    if (!directory && !mac_metadata && is_image_name(name)) names.push_back(name);
  }
  if (names.empty())
    fail(path + ": no images in the zip (expected png, jpg, jpeg, bmp, webp, tif or tiff members)");
  std::sort(names.begin(), names.end());
  info(path + ": " + std::to_string(names.size()) + " images found (zip)");
  return std::make_unique<ZipSource>(std::move(archive), std::move(names), options);
}

}  // namespace diffbench
