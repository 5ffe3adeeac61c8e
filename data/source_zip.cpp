// A zip of images (EDM/StyleGAN dataset zips): image members at any depth, sorted by name;
// dataset.json and other members are ignored.
#include <algorithm>

#include "common/error.h"
#include "common/log.h"
#include "data/source_kinds.h"
#include "data/zip_archive.h"

namespace diffbench {
namespace {

class ZipSource : public EncodedImageSource {
 public:
  ZipSource(std::unique_ptr<ZipArchive> archive, std::vector<const ZipEntry*> entries,
            std::vector<std::string> names, const SourceOptions& options)
      : EncodedImageSource(archive->path(), std::move(names), options),
        archive_(std::move(archive)),
        entries_(std::move(entries)) {
    init_size_check();
  }
  std::string kind() const override { return "zip"; }

  std::string content_hash() override {
    // Member names and uncompressed bytes: a re-compressed but identical set keeps its hash.
    Sha256 hash;
    hash.update(std::string("diffbench-zip-v1"));
    for (size_t i = 0; i < entries_.size(); ++i) hash_named_bytes(hash, names_[i], archive_->read(*entries_[i]));
    return hash.hex_digest();
  }

 protected:
  std::string fetch(long index) override { return archive_->read(*entries_[static_cast<size_t>(index)]); }
  std::string origin(long index) const override { return path_ + ":" + names_[static_cast<size_t>(index)]; }

 private:
  std::unique_ptr<ZipArchive> archive_;
  std::vector<const ZipEntry*> entries_;
};

}  // namespace

std::unique_ptr<ImageSource> open_zip_source(const std::string& path, const SourceOptions& options) {
  auto archive = std::make_unique<ZipArchive>(path);
  std::vector<const ZipEntry*> entries;
  for (const auto& e : archive->entries()) {
    const bool directory = !e.name.empty() && e.name.back() == '/';
    const bool mac_metadata = e.name.rfind("__MACOSX/", 0) == 0;  // Finder's resource forks are not images
    if (!directory && !mac_metadata && is_image_name(e.name)) entries.push_back(&e);
  }
  if (entries.empty())
    fail(path + ": no images in the zip (expected png, jpg, jpeg, bmp, webp, tif or tiff members)");
  std::sort(entries.begin(), entries.end(), [](const ZipEntry* a, const ZipEntry* b) { return a->name < b->name; });
  std::vector<std::string> names;
  for (const auto* e : entries) names.push_back(e->name);
  info(path + ": " + std::to_string(names.size()) + " images found (zip)");
  return std::make_unique<ZipSource>(std::move(archive), std::move(entries), std::move(names), options);
}

}  // namespace diffbench
