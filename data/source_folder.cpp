// A folder of image files, searched recursively and read in sorted relative-path order.
#include <algorithm>
#include <filesystem>
#include <set>

#include "common/error.h"
#include "common/files.h"
#include "common/log.h"
#include "data/source_kinds.h"

namespace fs = std::filesystem;

namespace diffbench {
namespace {

class FolderSource : public EncodedImageSource {
 public:
  FolderSource(const std::string& path, std::vector<std::string> names, const SourceOptions& options)
      : EncodedImageSource(path, std::move(names), options) {
    init_size_check();
  }
  std::string kind() const override { return "folder"; }

  std::string content_hash() override {
    Sha256 hash;
    hash.update(std::string("diffbench-folder-v1"));
    for (const auto& name : names_) hash_named_file(hash, name, file(name));
    return hash.hex_digest();
  }

 protected:
  std::string fetch(long index) override { return read_file(origin(index)); }
  std::string origin(long index) const override { return file(names_[static_cast<size_t>(index)]); }

 private:
  std::string file(const std::string& name) const { return (fs::path(path_) / name).string(); }
};

}  // namespace

std::unique_ptr<ImageSource> open_folder_source(const std::string& path, const SourceOptions& options) {
  std::vector<std::string> names;
  std::error_code ec;
  const auto walk_options = fs::directory_options::follow_directory_symlink;
  // Symlinked folders are followed (datasets are often linked in), each target once; one that points
  // inside the folder or at one of its ancestors (a loop, or the same images twice) is skipped.
  const fs::path root = fs::weakly_canonical(path, ec);
  auto within = [](const fs::path& inner, const fs::path& outer) {
    const fs::path rel = inner.lexically_relative(outer);
    return !rel.empty() && *rel.begin() != "..";
  };
  std::set<fs::path> followed;
  for (fs::recursive_directory_iterator it(path, walk_options, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code link_ec;
    if (it->is_symlink(link_ec) && it->is_directory(link_ec)) {
      const fs::path target = fs::weakly_canonical(it->path(), link_ec);
      if (link_ec || within(target, root) || within(root, target) || !followed.insert(target).second)
        it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec) || !is_image_name(it->path().filename().string())) continue;
    names.push_back(it->path().lexically_relative(path).generic_string());  // symlinks not resolved
  }
  if (ec) fail(path + ": cannot list folder (" + ec.message() + ")");
  if (names.empty())
    fail(path + ": no images found (searched recursively for png, jpg, jpeg, bmp, webp, tif, tiff in any case)");
  std::sort(names.begin(), names.end());  // byte order of the relative paths, as Python's sorted()
  info(path + ": " + std::to_string(names.size()) + " images found (folder, recursive)");
  return std::make_unique<FolderSource>(path, std::move(names), options);
}

}  // namespace diffbench
