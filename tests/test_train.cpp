// Training: a run interrupted and resumed from its checkpoint ends bitwise equal to an
// uninterrupted one (same machine, same thread count), and the loss is finite and falls.
#include <catch2/catch.hpp>

#include <filesystem>

#include "build_info.h"
#include "common/error.h"
#include "common/files.h"
#include "harness/train.h"
#include "io/state_dict.h"

namespace fs = std::filesystem;

namespace {

diffbench::TrainConfig tiny_config(const fs::path& out) {
  diffbench::TrainConfig c;
  c.model = nlohmann::json::parse(
      diffbench::read_file(std::string(DIFFBENCH_SOURCE_DIR) + "/models/configs/fmnist/ddpmpp-fmnist.json"));
  // A much smaller DDPM++ so the test takes seconds.
  c.model["model_channels"] = 16;
  c.model["channel_mult"] = {1, 1};
  c.model["num_blocks"] = 1;
  c.model["attn_resolutions"] = nlohmann::json::array();
  c.dataset = "/usr/share/datasets/fashion-mnist";
  c.split = "test";
  c.batch_size = 4;
  c.total_images = 24;
  c.warmup_images = 8;
  c.lr = 1e-3;
  c.ema_halflife_images = 8;
  c.checkpoint_every_images = 1000;
  c.out_dir = out.string();
  return c;
}

}  // namespace

TEST_CASE("training resumed from a checkpoint ends bitwise equal to an uninterrupted run", "[train]") {
  fs::path dir = fs::temp_directory_path() / ("diffbench-train-" + std::to_string(::getpid()));
  fs::remove_all(dir);

  auto whole = diffbench::train(tiny_config(dir / "whole"), false, 2);
  CHECK(whole.images == 24);
  CHECK(whole.steps == 6);
  CHECK(std::isfinite(whole.final_loss));

  auto first = tiny_config(dir / "split");
  first.limit_images = 8;  // "killed" after two steps, with a checkpoint
  auto part = diffbench::train(first, false, 2);
  CHECK(part.images == 8);
  CHECK_FALSE(fs::exists(dir / "split" / "ema.safetensors"));
  // A second start without --resume refuses to overwrite the checkpoint.
  CHECK_THROWS_WITH(diffbench::train(tiny_config(dir / "split"), false, 2),
                    Catch::Contains("a checkpoint exists; pass --resume"));
  // Resuming under other training settings is refused, naming the setting.
  auto other = tiny_config(dir / "split");
  other.lr = 2e-3;
  CHECK_THROWS_WITH(diffbench::train(other, true, 2), Catch::Contains("was trained with \"lr\": 0.001, the suite now says 0.002"));
  auto rest = diffbench::train(tiny_config(dir / "split"), true, 2);
  CHECK(rest.images == 24);

  auto a = diffbench::load_state_dict((dir / "whole" / "checkpoint.safetensors").string());
  auto b = diffbench::load_state_dict((dir / "split" / "checkpoint.safetensors").string());
  REQUIRE(a.size() == b.size());
  REQUIRE(a.size() > 0);
  for (const auto& [name, tensor] : a) {
    INFO(name);
    CHECK(torch::equal(tensor, b.at(name)));
  }
  auto ema_a = diffbench::load_state_dict((dir / "whole" / "ema.safetensors").string());
  auto ema_b = diffbench::load_state_dict((dir / "split" / "ema.safetensors").string());
  for (const auto& [name, tensor] : ema_a) CHECK(torch::equal(tensor, ema_b.at(name)));

  // Extending a finished run (a larger total_images) continues from its checkpoint.
  auto longer = tiny_config(dir / "split");
  longer.total_images = 32;
  auto extended = diffbench::train(longer, true, 2);
  CHECK(extended.images == 32);
  CHECK(extended.steps == 8);
  fs::remove_all(dir);
}
