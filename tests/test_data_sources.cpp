// [data] image sources: exact pixels against PIL's convert('RGB') (fixtures and expected arrays
// from tests/data/sources/make_fixtures.py), ordering, streaming reads, hashes and error messages.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "build_info.h"
#include "common/error.h"
#include "common/files.h"
#include "data/source.h"
#include "io/npy.h"

namespace fs = std::filesystem;
using namespace diffbench;

namespace {

const std::string kDir = std::string(DIFFBENCH_SOURCE_DIR) + "/tests/data/sources";

at::Tensor expected(const std::string& name) { return read_npy(kDir + "/expected/" + name); }

// Reads the whole source in batches of `batch` and stacks it as [N, H, W, 3].
at::Tensor read_all(ImageSource& source, long batch) {
  std::vector<at::Tensor> all;
  for (long start = 0; start < source.size(); start += batch) {
    auto part = source.read(start, std::min(batch, source.size() - start));
    for (auto& t : part) {
      REQUIRE(t.scalar_type() == torch::kUInt8);
      REQUIRE(t.dim() == 3);
      REQUIRE(t.size(2) == 3);
      REQUIRE(t.is_contiguous());
      all.push_back(t);
    }
  }
  return torch::stack(all);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag) {
    path = fs::temp_directory_path() / ("diffbench-test-data-" + tag + "-" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("folder source: recursive, sorted, case-insensitive, PIL convert('RGB') pixels", "[data]") {
  auto source = open_source(kDir + "/folder");
  CHECK(source->kind() == "folder");
  REQUIRE(source->size() == 11);  // notes.txt skipped, nested/g_upper.JPG and j.TIFF found
  std::ifstream names_file(kDir + "/expected/folder_names.txt");
  std::vector<std::string> names;
  for (std::string line; std::getline(names_file, line);) names.push_back(line);
  for (long i = 0; i < source->size(); ++i) CHECK(source->name_of(i) == names[static_cast<size_t>(i)]);
  const at::Tensor got = read_all(*source, 4);
  const at::Tensor want = expected("folder.npy");
  REQUIRE(got.sizes() == want.sizes());
  for (long i = 0; i < source->size(); ++i) {
    INFO(source->name_of(i));
    CHECK(torch::equal(got[i], want[i]));
  }
  // The 16-bit rules spelled out: one channel clips like PIL's I -> L, three keep the high byte.
  REQUIRE(source->name_of(3) == "d_gray16.png");
  CHECK(got[3][0][2][0].item<int>() == 254);
  CHECK(got[3][0][4][1].item<int>() == 255);  // 256 clips to 255
  CHECK(got[3][2][2][2].item<int>() == 177);
  REQUIRE(source->name_of(1) == "b_rgba.png");  // transparent pixel keeps its stored RGB
  CHECK(torch::equal(got[1][0][0], want[1][0][0]));
}

TEST_CASE("decode_image_rgb: one file, and corrupt bytes name the origin", "[data]") {
  const at::Tensor img = decode_image_rgb(read_file(kDir + "/folder/a_gray.png"), "a_gray.png");
  CHECK(img.sizes() == at::IntArrayRef({4, 5, 3}));
  CHECK(torch::equal(img.select(2, 0), img.select(2, 1)));
  CHECK(error_of([] { decode_image_rgb("GIF89a....", "x.gif"); }) ==
        "x.gif: cannot decode image (corrupt, or not a png/jpg/bmp/webp/tif file OpenCV can read)");
  CHECK(error_of([] { decode_image_rgb("", "e.png"); }) ==
        "e.png: empty file, expected an encoded image (png/jpg/bmp/webp/tif)");
}

TEST_CASE("zip source: EDM dataset layout, members at any depth sorted by name", "[data]") {
  auto source = open_source(kDir + "/tiny.zip");
  CHECK(source->kind() == "zip");
  REQUIRE(source->size() == 4);  // dataset.json ignored
  CHECK(source->name_of(0) == "00000/img00000000.png");
  CHECK(source->name_of(2) == "00001/img00000002.png");
  CHECK(source->name_of(3) == "top.PNG");
  CHECK(torch::equal(read_all(*source, 3), expected("zip.npy")));
  CHECK(source->content_hash() == "1b2be82b952154eaf5abdb37e3e8a78325dab895b7b323c31d440b1c8bc66f0b");
}

TEST_CASE("npz source: arr_0 NHWC read in row ranges, stored and deflated", "[data]") {
  const at::Tensor want = expected("npz.npy");
  for (const char* name : {"/tiny.npz", "/tiny_compressed.npz"}) {
    INFO(name);
    auto source = open_source(kDir + name);
    CHECK(source->kind() == "npz");
    REQUIRE(source->size() == 6);
    CHECK(source->name_of(4) == "arr_0[4]");
    // Out of order: the deflated member must restart, the stored one seeks.
    auto b = source->read(3, 2);
    auto a = source->read(0, 3);
    auto c = source->read(5, 1);
    CHECK(torch::equal(b[0], want[3]));
    CHECK(torch::equal(b[1], want[4]));
    CHECK(torch::equal(a[0], want[0]));
    CHECK(torch::equal(a[2], want[2]));
    CHECK(torch::equal(c[0], want[5]));
  }
  CHECK(open_source(kDir + "/tiny.npz")->content_hash() ==
        "044a9f78df694ec400aaf30cb1ded62ff4eaca7b01d97a41425ad55b1253b3bd");
  auto npy = open_source(kDir + "/expected/npz.npy");  // a plain .npy of the same layout
  CHECK(npy->kind() == "npy");
  CHECK(torch::equal(npy->read(2, 1)[0], want[2]));
  auto gray = open_source(kDir + "/gray.npz");
  auto g = gray->read(1, 1)[0];
  CHECK(torch::equal(g.select(2, 0), g.select(2, 2)));
  CHECK(error_of([] { open_source(kDir + "/float.npz"); }) ==
        kDir + "/float.npz:arr_0.npy: dtype Float is not an image batch, expected uint8 [N, H, W, 3]");
  CHECK(error_of([] { open_source(kDir + "/no_arr0.npz"); }) ==
        kDir + "/no_arr0.npz: no arr_0 array, expected an ADM-style batch with arr_0 uint8 [N, H, W, 3]");
}

TEST_CASE("cifar10 source: CHW records to HWC, train and test splits", "[data]") {
  SourceOptions train, test;
  test.split = "test";
  auto tr = open_source(kDir + "/cifar", train);
  CHECK(tr->kind() == "cifar10");
  REQUIRE(tr->size() == 10);
  CHECK(tr->name_of(7) == "train[7]");
  CHECK(torch::equal(read_all(*tr, 3), expected("cifar_train.npy")));  // batches span files
  auto te = open_source(kDir + "/cifar", test);
  REQUIRE(te->size() == 3);
  CHECK(torch::equal(read_all(*te, 2), expected("cifar_test.npy")));
  CHECK(te->content_hash() == "38de07ead7e34bc8c0bd6cca53270e0cf83ebb985d26faec48e628ebc53382ab");
  CHECK(te->content_hash() != tr->content_hash());
  SourceOptions bad_split;
  bad_split.split = "val";
  CHECK(error_of([&] { open_source(kDir + "/cifar", bad_split); }) ==
        kDir + "/cifar: split 'val' is not known, expected train or test");
  CHECK(error_of([&] { open_source(kDir + "/cifar_bad", test); }) ==
        kDir + "/cifar_bad/test_batch.bin: 3174 bytes is not a whole number of 3073-byte records "
               "(1 label + 3072 pixels): labels and images do not match");
  CHECK(error_of([&] { open_source(kDir + "/cifar_bad", train); }) ==
        kDir + "/cifar_bad/data_batch_1.bin: missing CIFAR-10 batch file (the train split needs it)");
}

TEST_CASE("idx source: gz and plain files, gray replicated, label count checked", "[data]") {
  SourceOptions test;
  test.split = "test";
  auto tr = open_source(kDir + "/idx");
  CHECK(tr->kind() == "idx");
  REQUIRE(tr->size() == 7);
  CHECK(torch::equal(read_all(*tr, 3), expected("idx_train.npy")));
  auto back = tr->read(1, 1);  // backward seek in the gz stream
  CHECK(torch::equal(back[0], expected("idx_train.npy")[1]));
  auto te = open_source(kDir + "/idx", test);
  REQUIRE(te->size() == 3);
  CHECK(torch::equal(read_all(*te, 2), expected("idx_test.npy")));
  CHECK(te->content_hash() == "dcb391b3a068af5118ddeadcb5a629cf84c4d8b78e1b39fb107d5c04e7afe6eb");
  CHECK(error_of([] { open_source(kDir + "/idx_bad"); }) ==
        kDir + "/idx_bad/train-labels-idx1-ubyte.gz: 5 labels but train-images-idx3-ubyte.gz holds 4 images");
  CHECK(error_of([&] { open_source(kDir + "/idx_bad", test); }) ==
        kDir + "/idx_bad/t10k-images-idx3-ubyte[.gz]: missing (the test split of an idx folder needs it)");
}

TEST_CASE("Fashion-MNIST (real files): sizes, pixels and a streamed checksum", "[data]") {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(dir + "/train-images-idx3-ubyte.gz")) {
    WARN("Fashion-MNIST not installed at " << dir << ": skipped");
    return;
  }
  SourceOptions test;
  test.split = "test";
  auto tr = open_source(dir);
  auto te = open_source(dir, test);
  REQUIRE(tr->size() == 60000);
  REQUIRE(te->size() == 10000);
  // Known images (values from the gz files with numpy): pixel sums and row 14, columns 10..15.
  auto check_image = [](ImageSource& s, long index, int64_t sum, std::vector<int> row) {
    const at::Tensor img = s.read(index, 1)[0];
    CHECK(img.sizes() == at::IntArrayRef({28, 28, 3}));
    CHECK(img.select(2, 0).sum().item<int64_t>() == sum);
    for (int x = 0; x < 6; ++x) CHECK(img[14][10 + x][1].item<int>() == row[static_cast<size_t>(x)]);
  };
  check_image(*tr, 0, 76247, {0, 0, 237, 226, 217, 223});
  check_image(*tr, 59999, 16684, {34, 0, 3, 3, 0, 3});
  check_image(*tr, 1, 84598, {205, 202, 205, 206, 204, 205});
  check_image(*te, 9999, 24390, {69, 128, 100, 120, 132, 123});
  check_image(*te, 0, 33456, {0, 0, 98, 136, 110, 109});
  // Whole test split streamed in batches: sum of (pixel sum of image i) * (i % 1000 + 1).
  int64_t weighted = 0;
  for (long start = 0; start < te->size(); start += 512) {
    auto batch = te->read(start, std::min(512L, te->size() - start));
    for (size_t k = 0; k < batch.size(); ++k)
      weighted += batch[k].select(2, 2).sum().item<int64_t>() * ((start + static_cast<long>(k)) % 1000 + 1);
  }
  CHECK(weighted == 286213652525LL);
}

TEST_CASE("source errors: missing, empty, not a source, unreadable file, mixed sizes, range", "[data]") {
  CHECK(error_of([] { open_source(kDir + "/nope"); }) ==
        kDir + "/nope: no such file or directory (expected a folder of images, a .zip of images, an .npz "
               "with arr_0 (or .npy) uint8 NHWC, a CIFAR-10 binary folder or an MNIST/Fashion-MNIST idx folder)");
  CHECK(error_of([] { open_source(kDir + "/make_fixtures.py"); }) ==
        kDir + "/make_fixtures.py: not an image source (expected a folder of images, a .zip of images, an "
               ".npz with arr_0 (or .npy) uint8 NHWC, a CIFAR-10 binary folder or an MNIST/Fashion-MNIST idx folder)");
  TempDir empty("empty");
  std::ofstream(empty.path / "readme.txt") << "no images here\n";
  CHECK(error_of([&] { open_source(empty.path.string()); }) ==
        empty.path.string() +
            ": no images found (searched recursively for png, jpg, jpeg, bmp, webp, tif, tiff in any case)");
  auto corrupt = open_source(kDir + "/corrupt");
  REQUIRE(corrupt->size() == 2);
  CHECK(corrupt->read(0, 1).size() == 1);
  CHECK(error_of([&] { corrupt->read(0, 2); }) ==
        kDir + "/corrupt/b.png: cannot decode image (corrupt, or not a png/jpg/bmp/webp/tif file OpenCV can read)");
  CHECK(error_of([&] { corrupt->read(1, 2); }) == kDir + "/corrupt: images [1, 3) requested, the source has 2");

  CHECK(open_source(kDir + "/mixed_sizes")->read(0, 2).size() == 2);  // allowed unless required
  SourceOptions same;
  same.require_same_size = true;
  auto mixed = open_source(kDir + "/mixed_sizes", same);
  CHECK(error_of([&] { mixed->read(0, 2); }) ==
        kDir + "/mixed_sizes/b.png: image is 4x5 (WxH), expected 5x4 like a.png (the source must hold one image size)");
}

TEST_CASE("content_hash: names and bytes in order, changes when a file changes", "[data]") {
  auto folder = open_source(kDir + "/folder");
  CHECK(folder->content_hash() == "13e5981d167b4c363a2383d44faa5e497eb855e5936b5fa9808dbdcdbaa1264c");
  TempDir copy("hash");
  fs::copy(kDir + "/mixed_sizes", copy.path, fs::copy_options::recursive);
  const std::string h1 = open_source(copy.path.string())->content_hash();
  CHECK(open_source(copy.path.string())->content_hash() == h1);
  fs::rename(copy.path / "b.png", copy.path / "c.png");  // same bytes, new name
  const std::string h2 = open_source(copy.path.string())->content_hash();
  CHECK(h2 != h1);
  std::ofstream(copy.path / "c.png", std::ios::app) << 'x';  // one byte appended
  CHECK(open_source(copy.path.string())->content_hash() != h2);
}
