// io/: npy, npz, safetensors, torch.save zip and legacy, load_into_module.
// Fixtures: tests/data/io (made by tests/data/io/make_fixtures.py with torch 1.13 / numpy).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <sys/stat.h>

#include <torch/torch.h>

#include "build_info.h"
#include "common/error.h"
#include "common/files.h"
#include "io/npy.h"
#include "io/npz.h"
#include "io/state_dict.h"

using namespace diffbench;
namespace fs = std::filesystem;

namespace {

std::string fixture(const std::string& name) { return std::string(DIFFBENCH_SOURCE_DIR) + "/tests/data/io/" + name; }

// A fresh scratch folder per test case.
std::string scratch(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("diffbench_test_io_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

std::vector<std::string> names_of(const StateDict& sd) {
  std::vector<std::string> out;
  for (const auto& item : sd) out.push_back(item.first);
  return out;
}

const std::vector<std::string> kFixtureNames = {
    "conv.weight", "conv.bias", "half.weight", "bf16.weight", "double.value", "int32.value", "uint8.value",
    "bool.mask", "bn.num_batches_tracked", "shared.base", "shared.view", "shared.strided", "param"};

}  // namespace

TEST_CASE("npy: numpy-written variants parse to the right values", "[io]") {
  at::Tensor a = torch::arange(12, torch::kFloat32).reshape({3, 4}) / 4;
  at::Tensor c = read_npy(fixture("c_order_f4.npy"));
  CHECK(c.scalar_type() == torch::kFloat32);
  CHECK(torch::equal(c, a));
  at::Tensor f = read_npy(fixture("fortran_f8.npy"));
  CHECK(f.scalar_type() == torch::kFloat64);
  CHECK(f.is_contiguous());
  CHECK(torch::equal(f, a.to(torch::kFloat64)));
  CHECK(torch::equal(read_npy(fixture("big_endian_f4.npy")), a));
  at::Tensor v2 = read_npy(fixture("v2_i8.npy"));
  CHECK(v2.scalar_type() == torch::kInt64);
  CHECK(torch::equal(v2, torch::arange(6, torch::kInt64).reshape({2, 3}) - 3));
  at::Tensor v3 = read_npy(fixture("v3_u1.npy"));
  CHECK(v3.scalar_type() == torch::kUInt8);
  CHECK(torch::equal(v3, torch::arange(24, torch::kUInt8).reshape({2, 3, 4})));
  CHECK(torch::equal(read_npy(fixture("bool_b1.npy")), torch::tensor({true, false, false, true})));
  at::Tensor h = read_npy(fixture("half_f2.npy"));
  CHECK(h.scalar_type() == torch::kFloat16);
  CHECK(torch::equal(h.to(torch::kFloat32), torch::tensor({0.5f, -2.0f, 65504.0f})));
  CHECK(torch::equal(read_npy(fixture("int32_i4.npy")), torch::tensor({1, -2, 3, -4}, torch::kInt32).reshape({2, 2})));
  at::Tensor s = read_npy(fixture("scalar_f8.npy"));
  CHECK(s.dim() == 0);
  CHECK(s.item<double>() == 2.75);
}

TEST_CASE("npy: encode/parse round trips every dtype and is numpy-shaped", "[io]") {
  std::vector<at::Tensor> cases = {
      torch::randn({3, 5}), torch::randn({2, 2, 2}, torch::kFloat64), torch::randn({7}).to(torch::kFloat16),
      torch::randint(0, 255, {4, 3}).to(torch::kUInt8), torch::randint(-5, 5, {6}).to(torch::kInt64),
      torch::randint(-5, 5, {6}).to(torch::kInt32), torch::randint(-5, 5, {6}).to(torch::kInt16),
      torch::randint(-5, 5, {6}).to(torch::kInt8), torch::tensor({true, false}), torch::tensor(3.5),
      torch::zeros({0, 3}), torch::randn({4, 6}).t()};
  for (const auto& t : cases) {
    const std::string bytes = encode_npy(t);
    CHECK((bytes.size() - static_cast<size_t>(t.numel()) * t.element_size()) % 64 == 0);
    at::Tensor back = parse_npy(bytes, "mem");
    CHECK(back.scalar_type() == t.scalar_type());
    CHECK(back.sizes() == t.sizes());
    CHECK(torch::equal(back, t));
  }
  CHECK(encode_npy(torch::zeros({2048}, torch::kFloat64)).substr(0, 70) ==
        std::string("\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (2048,), }", 70));
  CHECK(encode_npy(torch::zeros({2, 3}, torch::kUInt8)).find("'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }") != std::string::npos);
  const std::string dir = scratch("npy");
  write_npy(dir + "/x.npy", cases[0]);
  CHECK(torch::equal(read_npy(dir + "/x.npy"), cases[0]));
  CHECK(error_of([&] { encode_npy(torch::zeros({2}, torch::kBFloat16)); }) ==
        "cannot write dtype BFloat16 to .npy (numpy has no such type)");
}

TEST_CASE("npy: malformed input gives one Error line", "[io]") {
  const std::string good = encode_npy(torch::arange(4, torch::kFloat32));
  CHECK(error_of([&] { parse_npy("PK\x03\x04 not numpy", "f.npy"); }) ==
        "f.npy: not a .npy array (the file does not start with \\x93NUMPY)");
  CHECK(error_of([&] { parse_npy(good.substr(0, good.size() - 3), "f.npy"); }) ==
        "f.npy: truncated .npy data (13 bytes, expected 16)");
  CHECK(error_of([&] { parse_npy(good.substr(0, 30), "f.npy"); }) ==
        "f.npy: truncated .npy header (118 header bytes declared, 20 present)");
  std::string odd = good;
  odd.replace(odd.find("<f4"), 3, "<c8");
  CHECK(error_of([&] { parse_npy(odd, "f.npy"); }) ==
        "f.npy: unsupported .npy dtype '<c8' (expected one of f2 f4 f8 i1 i2 i4 i8 u1 b1)");
}

TEST_CASE("state_dict: the same tensors from torch zip, legacy, safetensors and npz", "[io]") {
  const StateDict ref = load_state_dict(fixture("sd.npz"));
  REQUIRE(names_of(ref) == kFixtureNames);
  CHECK(detect_weights_format(fixture("sd.npz")) == WeightsFormat::Npz);
  CHECK(detect_weights_format(fixture("sd_zip.pt")) == WeightsFormat::TorchZip);
  CHECK(detect_weights_format(fixture("sd_legacy.pt")) == WeightsFormat::TorchLegacy);
  CHECK(detect_weights_format(fixture("sd.safetensors")) == WeightsFormat::Safetensors);
  CHECK(detect_weights_format(fixture("make_fixtures.py")) == WeightsFormat::Unknown);

  for (const char* file : {"sd_zip.pt", "sd_zip_p4.pt", "sd_legacy.pt", "sd.safetensors"}) {
    INFO(file);
    const StateDict sd = load_state_dict(fixture(file));
    REQUIRE(names_of(sd) == kFixtureNames);
    for (const auto& item : ref) {
      INFO(item.first);
      const at::Tensor& t = sd.at(item.first);
      CHECK(t.sizes() == item.second.sizes());
      if (item.first == "bf16.weight") {
        CHECK(t.scalar_type() == torch::kBFloat16);
        CHECK(torch::equal(t.to(torch::kFloat32), item.second));
      } else {
        CHECK(t.scalar_type() == item.second.scalar_type());
        CHECK(torch::equal(t, item.second));
      }
    }
    CHECK(sd.at("bn.num_batches_tracked").dim() == 0);
    CHECK(sd.at("bn.num_batches_tracked").item<int64_t>() == 12345);
    CHECK(torch::equal(sd.at("shared.view"), torch::tensor({1.0f, 1.5f, 2.0f, 2.5f, 3.0f, 3.5f}).reshape({2, 3})));
    CHECK(torch::equal(sd.at("shared.strided"), torch::tensor({0.5f, 1.0f, 1.5f, 3.0f, 3.5f, 4.0f}).reshape({2, 3})));
    CHECK(sd.at("double.value")[1].item<double>() == -2.5e-300);
  }
  CHECK(read_safetensors_metadata(fixture("sd.safetensors")) ==
        std::map<std::string, std::string>{{"format", "pt"}, {"source", "make_fixtures.py"}});
}

TEST_CASE("state_dict: safetensors save/load round trip is exact and 8-byte aligned", "[io]") {
  const std::string dir = scratch("st");
  StateDict sd = load_state_dict(fixture("sd_zip.pt"));
  save_safetensors(dir + "/out.safetensors", sd, {{"format", "pt"}});
  const std::string bytes = read_file(dir + "/out.safetensors");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  CHECK(n % 8 == 0);
  CHECK(bytes.substr(8, 35) == "{\"__metadata__\":{\"format\":\"pt\"},\"co");
  const StateDict back = load_state_dict(dir + "/out.safetensors");
  REQUIRE(names_of(back) == kFixtureNames);
  for (const auto& item : sd) {
    CHECK(back.at(item.first).scalar_type() == item.second.scalar_type());
    CHECK(torch::equal(back.at(item.first), item.second));
  }
}

TEST_CASE("state_dict: module.state_dict() OrderedDicts load into a module", "[io]") {
  for (const char* file : {"module_zip.pt", "module_legacy.pt", "checkpoint_zip.pt"}) {
    INFO(file);
    const StateDict sd = load_state_dict(fixture(file));
    CHECK(names_of(sd) == std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                                   "1.running_var", "1.num_batches_tracked"});
    torch::nn::Sequential net(torch::nn::Conv2d(3, 4, 3), torch::nn::BatchNorm2d(4));
    load_into_module(*net, sd, file);
    const StateDict got = module_state_dict(*net);
    CHECK(names_of(got) == names_of(sd));
    for (const auto& item : sd) CHECK(torch::equal(got.at(item.first), item.second));
    // The checkpoint's "model" entry is all zeros: a non-zero running_var proves "ema" was chosen.
    CHECK(got.at("1.running_var").min().item<float>() >= 1.0f);
    CHECK(got.at("1.num_batches_tracked").item<int64_t>() == 7);
  }
}

TEST_CASE("state_dict: load_into_module lists every missing, unexpected and mis-shaped key at once", "[io]") {
  const StateDict file = load_state_dict(fixture("module_zip.pt"));
  StateDict bad;
  for (const auto& item : file) {
    if (item.first == "0.bias" || item.first == "1.running_mean") continue;  // missing
    if (item.first == "1.num_batches_tracked") continue;                     // ignored when absent
    bad.insert(item.first, item.first == "1.weight" ? torch::ones({5}) : item.second);
  }
  bad.insert("2.weight", torch::ones({1}));
  bad.insert("extra.num_batches_tracked", torch::tensor(1));  // ignored when extra
  torch::nn::Sequential net(torch::nn::Conv2d(3, 4, 3), torch::nn::BatchNorm2d(4));
  CHECK(error_of([&] { load_into_module(*net, bad, "w.pt"); }) ==
        "w.pt: weights do not match the module (2 missing: 0.bias, 1.running_mean; 1 unexpected: 2.weight; "
        "1 mis-shaped: 1.weight (file [5], module [4]))");
  // float64 and float16 files are converted to the module's float32.
  StateDict f64;
  for (const auto& item : file) f64.insert(item.first, item.second.is_floating_point() ? item.second.to(torch::kFloat64) : item.second);
  load_into_module(*net, f64, "f64");
  CHECK(net->named_parameters()["0.weight"].scalar_type() == torch::kFloat32);
  CHECK(torch::equal(net->named_parameters()["0.weight"], file.at("0.weight")));
}

TEST_CASE("state_dict: nested checkpoints, foreign pickles and corrupt files", "[io]") {
  const StateDict nested = load_state_dict(fixture("nested_legacy.pt"));
  CHECK(names_of(nested) == std::vector<std::string>{"encoder.w", "decoder.w"});
  CHECK(torch::equal(nested.at("decoder.w"), torch::zeros({3})));
  CHECK(error_of([&] { load_state_dict(fixture("whole_module_legacy.pt")); }) ==
        fixture("whole_module_legacy.pt") +
            ": holds a pickled torch.nn.modules.linear.Linear, not a state_dict (save model.state_dict() instead)");

  const std::string dir = scratch("corrupt");
  // A FIFO used to block the open forever (no writer ever comes).
  const std::string fifo = dir + "/weights.fifo";
  std::remove(fifo.c_str());
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(error_of([&] { load_state_dict(fifo); }) == fifo + ": not a regular file; expected a weights file");
  const std::string legacy = read_file(fixture("sd_legacy.pt"));
  const std::string zip = read_file(fixture("sd_zip.pt"));
  const std::string st = read_file(fixture("sd.safetensors"));

  write_bytes(dir + "/legacy_cut.pt", legacy.substr(0, legacy.size() - 10));
  // Storage keys are save-time addresses: match any.
  CHECK(std::regex_match(error_of([&] { load_state_dict(dir + "/legacy_cut.pt"); }),
                         std::regex(".*/legacy_cut\\.pt: truncated legacy torch\\.save file \\(storage '[0-9]+' needs 12 bytes, 2 left\\)")));
  write_bytes(dir + "/legacy_cut2.pt", legacy.substr(0, 300));
  CHECK(error_of([&] { load_state_dict(dir + "/legacy_cut2.pt"); }).find(dir + "/legacy_cut2.pt: truncated pickle") == 0);
  write_bytes(dir + "/zip_cut.pt", zip.substr(0, zip.size() / 2));
  CHECK(error_of([&] { load_state_dict(dir + "/zip_cut.pt"); }) ==
        dir + "/zip_cut.pt: not a readable zip archive (Not a zip archive)");
  write_bytes(dir + "/st_cut.safetensors", st.substr(0, st.size() - 1));
  CHECK(error_of([&] { load_state_dict(dir + "/st_cut.safetensors"); }) ==
        dir + "/st_cut.safetensors: invalid safetensors file: tensor 'param': data_offsets end at 620 beyond the data "
              "buffer of 619 bytes (truncated file?)");
  std::string st_bad_json = st;
  st_bad_json[9] = '#';  // {#__metadata__" ...
  write_bytes(dir + "/st_json.safetensors", st_bad_json);
  CHECK(error_of([&] { load_state_dict(dir + "/st_json.safetensors"); }).find(
            dir + "/st_json.safetensors: invalid safetensors file: header: not valid JSON: ") == 0);

  std::string random(4096, '\0');
  uint32_t x = 12345;
  for (auto& c : random) c = static_cast<char>((x = x * 1103515245u + 12345u) >> 24);
  write_bytes(dir + "/random.bin", random);
  CHECK(error_of([&] { load_state_dict(dir + "/random.bin"); }) ==
        dir + "/random.bin: not a weights file (expected safetensors, torch.save zip or legacy, or npz; 4096 bytes "
              "starting " + [&] {
                char buf[32];
                std::snprintf(buf, sizeof buf, "%02x %02x %02x %02x %02x %02x %02x %02x", (unsigned char)random[0],
                              (unsigned char)random[1], (unsigned char)random[2], (unsigned char)random[3],
                              (unsigned char)random[4], (unsigned char)random[5], (unsigned char)random[6],
                              (unsigned char)random[7]);
                return std::string(buf);
              }() + ")");
  std::string wrong_magic = legacy;
  wrong_magic[5] = 0x00;  // inside the 10-byte magic number
  write_bytes(dir + "/wrong_magic.pt", wrong_magic);
  CHECK(error_of([&] { load_state_dict(dir + "/wrong_magic.pt"); }) ==
        dir + "/wrong_magic.pt: not a weights file (expected safetensors, torch.save zip or legacy, or npz; 2287 bytes "
              "starting 80 02 8a 0a 6c 00 9c 46)");
  CHECK(error_of([&] { load_torch_legacy(dir + "/wrong_magic.pt"); }) ==
        dir + "/wrong_magic.pt: not a legacy torch.save file (wrong magic number)");
  write_bytes(dir + "/empty.pt", "");
  CHECK(error_of([&] { load_state_dict(dir + "/empty.pt"); }) ==
        dir + "/empty.pt: not a weights file (expected safetensors, torch.save zip or legacy, or npz; 0 bytes starting <empty>)");
  CHECK(error_of([&] { load_state_dict(dir + "/absent.pt"); }) == dir + "/absent.pt: cannot open weights file");
  // Corrupt pickle bytes inside an intact container: one line, no crash.
  for (size_t at : {40u, 200u, 600u, 1000u}) {
    std::string broken = legacy;
    broken[at] = static_cast<char>(0xff);
    write_bytes(dir + "/broken.pt", broken);
    const std::string message = error_of([&] { load_state_dict(dir + "/broken.pt"); });
    INFO(message);
    if (message == "<no error>") continue;  // the byte may sit inside a name or a value
    CHECK(message.rfind(dir + "/broken.pt: ", 0) == 0);
    CHECK(message.find('\n') == std::string::npos);
  }
}

TEST_CASE("state_dict: golden Inception weights (safetensors F16 + I64) load with 566 entries", "[io]") {
  const std::string path = std::string(DIFFBENCH_SHARED_DIR) + "/golden/inception-fid/weights.safetensors";
  if (!file_exists(path)) {
    WARN("golden weights absent: " << path);
    return;
  }
  const StateDict sd = load_state_dict(path);
  CHECK(sd.size() == 566);
  size_t nbt = 0;
  int64_t elements = 0;
  for (const auto& item : sd) {
    if (item.first.size() > 19 && item.first.substr(item.first.size() - 19) == "num_batches_tracked") {
      ++nbt;
      CHECK(item.second.scalar_type() == torch::kInt64);
    } else {
      CHECK(item.second.scalar_type() == torch::kFloat16);
      elements += item.second.numel();
    }
  }
  CHECK(sd.size() - nbt == 472);
  CHECK(elements == 23885392);
  CHECK(sd.at("Mixed_7c.branch3x3dbl_3b.conv.weight").sizes() == std::vector<int64_t>{384, 384, 3, 1});
  CHECK(sd.at("fc.weight").sizes() == std::vector<int64_t>{1008, 2048});
  CHECK(names_of(sd).front() == "Conv2d_1a_3x3.conv.weight");
}

TEST_CASE("state_dict: the pytorch-fid Inception layout in legacy format (566 keys, synthetic)", "[io]") {
  // Each tensor is a stride-0 view of element i of one shared storage (see make_fixtures.py).
  const StateDict sd = load_state_dict(fixture("inception_layout_legacy.pt"));
  REQUIRE(sd.size() == 566);
  std::ifstream keys(std::string(DIFFBENCH_SHARED_DIR) + "/reference/keys/fid-inception-v3.keys.txt");
  std::string line;
  size_t listed = 0;
  while (std::getline(keys, line)) {
    const std::string name = line.substr(0, line.find('\t'));
    INFO(name);
    REQUIRE(sd.contains(name));
    std::ostringstream shape;
    shape << sd.at(name).sizes();
    CHECK(line.substr(line.find('\t') + 1) == shape.str());
    ++listed;
  }
  if (listed) CHECK(listed == 472);
  int64_t index = 0;
  for (const auto& item : sd) {
    INFO(item.first);
    if (item.first.find("num_batches_tracked") != std::string::npos) {
      CHECK(item.second.scalar_type() == torch::kInt64);
      CHECK(item.second.dim() == 0);
    } else {
      CHECK(item.second.scalar_type() == torch::kFloat32);
    }
    CHECK(item.second.min().item<double>() == static_cast<double>(index));
    CHECK(item.second.max().item<double>() == static_cast<double>(index));
    ++index;
  }
  CHECK(sd.at("fc.weight").sizes() == std::vector<int64_t>{1008, 2048});
}

TEST_CASE("state_dict: golden DiT weights match their keys.txt", "[io]") {
  const std::string dir = std::string(DIFFBENCH_SHARED_DIR) + "/golden/models/dit";
  if (!file_exists(dir + "/weights.safetensors")) {
    WARN("golden model absent: " << dir);
    return;
  }
  const StateDict sd = load_state_dict(dir + "/weights.safetensors");
  CHECK(read_safetensors_metadata(dir + "/weights.safetensors").at("format") == "pt");
  std::ifstream keys(dir + "/keys.txt");
  std::string line;
  std::vector<std::string> names;
  while (std::getline(keys, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string name, dtype, shape;
    std::getline(fields, name, '\t');
    std::getline(fields, dtype, '\t');
    std::getline(fields, shape, '\t');
    names.push_back(name);
    INFO(line);
    REQUIRE(sd.contains(name));
    std::ostringstream got;
    got << sd.at(name).sizes();
    std::string want = shape;
    want.erase(std::remove(want.begin(), want.end(), ' '), want.end());
    std::string have = got.str();
    have.erase(std::remove(have.begin(), have.end(), ' '), have.end());
    CHECK(have == want);
  }
  CHECK(names.size() == 32);
  CHECK(names_of(sd) == names);
}

TEST_CASE("npz: read deflated statistics, stream ZIP64 rows, write then read", "[io]") {
  CHECK(list_npz(fixture("stats_compressed.npz")) == std::vector<std::string>{"mu", "sigma"});
  at::Tensor sigma = read_npz_member(fixture("stats_compressed.npz"), "sigma");
  CHECK(sigma.scalar_type() == torch::kFloat64);
  CHECK(torch::equal(sigma, torch::eye(8, torch::kFloat64) + 0.25));
  CHECK(error_of([&] { read_npz_member(fixture("stats_compressed.npz"), "mu_s"); }) ==
        fixture("stats_compressed.npz") + ": npz has no array 'mu_s' (it holds: mu, sigma)");

  const at::Tensor batch = torch::arange(7 * 4 * 5 * 3, torch::kInt64).remainder(251).to(torch::kUInt8).reshape({7, 4, 5, 3});
  CHECK(torch::equal(read_npz_member(fixture("batch_zip64.npz"), "arr_0"), batch));
  for (const char* file : {"batch_zip64.npz", "batch_deflated.npz"}) {
    INFO(file);
    NpyStream stream(fixture(file), "arr_0");
    CHECK(stream.shape() == std::vector<int64_t>{7, 4, 5, 3});
    CHECK(stream.dtype() == torch::kUInt8);
    CHECK(torch::equal(stream.read_rows(2, 3), batch.slice(0, 2, 5)));
    CHECK(torch::equal(stream.read_rows(5, 2), batch.slice(0, 5, 7)));
    CHECK(torch::equal(stream.read_rows(0, 1), batch.slice(0, 0, 1)));  // going back
    CHECK(stream.read_rows(7, 0).size(0) == 0);
    CHECK(error_of([&] { stream.read_rows(6, 2); }) ==
          fixture(file) + ":arr_0.npy: rows [6, 8) out of range (array has 7 rows)");
  }
  NpyStream plain(fixture("v3_u1.npy"));
  CHECK(torch::equal(plain.read_rows(1, 1), torch::arange(12, 24, torch::kUInt8).reshape({1, 3, 4})));

  const std::string dir = scratch("npz");
  const at::Tensor mu = torch::randn({2048}, torch::kFloat64);
  const at::Tensor big = torch::randn({64, 64}, torch::kFloat64);
  write_npz(dir + "/stats.npz", {{"mu", mu}, {"sigma", big}, {"empty", torch::zeros({0})}});
  CHECK(detect_weights_format(dir + "/stats.npz") == WeightsFormat::Npz);
  const auto back = read_npz(dir + "/stats.npz");
  REQUIRE(back.size() == 3);
  CHECK(back[0].first == "mu");
  CHECK(torch::equal(back[0].second, mu));
  CHECK(torch::equal(back[1].second, big));
  CHECK(back[2].second.numel() == 0);
  // Stored members start with the npy magic right after the local header (np.load memory-maps them).
  CHECK(read_file(dir + "/stats.npz").find("mu.npy\x93NUMPY") != std::string::npos);
}
