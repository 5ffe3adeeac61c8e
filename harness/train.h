// Training small models with EDM's loss and preconditioning, deterministically and resumably,
// so architectures can be compared at equal budget on real data without released checkpoints.
//
// Determinism: everything a step uses is derived from (seed, step): the data order is a seeded
// permutation per epoch, the noise comes from a generator seeded by (seed, step). A checkpoint
// therefore needs only the weights, the EMA, Adam's moments and the step count to resume to a
// bitwise-equal result (same machine, same thread count).
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace diffbench {

struct TrainConfig {
  nlohmann::json model;         // model config (arch + constructor arguments + precond)
  std::string model_file;       // where the model config came from ("" when inline)
  std::string dataset;          // image source path (data/source.h)
  std::string split = "train";
  int resolution = 32;          // images are zero-padded (centered) up to this size
  int channels = 1;             // 1 keeps the gray channel; 3 replicates it
  uint64_t seed = 0;
  int batch_size = 64;
  double lr = 2e-4;
  long warmup_images = 20000;   // linear lr ramp over this many images
  long total_images = 200000;   // the training budget in images seen
  double grad_clip = 1.0;       // global gradient-norm clip
  double ema_halflife_images = 20000;
  double ema_rampup = 0.05;     // half-life <= ema_rampup * images seen (EDM)
  double p_mean = -1.2, p_std = 1.2, sigma_data = 0.5;  // EDM loss
  long checkpoint_every_images = 20000;
  long limit_images = 0;        // stop early after this many images (tests, interrupt simulation); 0 = none
  std::string out_dir;          // checkpoint.safetensors, ema.safetensors, train.json
};

// Reads a training suite: a JSON object with a "train" block (keys as TrainConfig's fields;
// "model" is a config file path or an inline object). Error with the JSON path on bad input.
TrainConfig load_train_config(const std::string& file);

struct TrainSummary {
  long steps = 0, images = 0;
  double final_loss = 0, wall_seconds = 0, images_per_second = 0;
  long parameters = 0;
};

// Trains, resuming from out_dir/checkpoint.safetensors when `resume` is set and it exists.
// Refuses to start over an existing checkpoint without `resume` (nothing is overwritten silently).
TrainSummary train(const TrainConfig& config, bool resume, int threads);

}  // namespace diffbench
