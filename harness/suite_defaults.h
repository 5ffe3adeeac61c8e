// Every default a suite may leave out, written down once: expansion merges these under each run's
// fields and suites/README.md documents them. Change a default here and nowhere else.
#pragma once

namespace diffbench {

// Top-level keys apply to every run; "sampler.<kind>", "metrics" and "guidance" fill the
// matching objects of each run. Paths in a suite resolve against <suite dir>/<root>.
inline constexpr const char* kSuiteDefaults = R"json({
  "root": "..",
  "seeds": "0-49999",
  "device": "auto",
  "threads": 0,
  "batch_size": 64,
  "chunk_size": 1000,
  "keep_images": false,
  "grid": 0,
  "precision": "fp32",
  "tf32": false,
  "profile": {"batches": 10, "repeats": 3, "warmup": 2, "batch_sizes": [1, 8, 32, 64]},
  "sampler": {
    "heun":  {"sigma_min": 0.002, "sigma_max": 80, "rho": 7, "s_churn": 0},
    "euler": {"sigma_min": 0.002, "sigma_max": 80, "rho": 7, "s_churn": 0},
    "ddpm":  {"diffusion_steps": 1000},
    "ddim":  {"diffusion_steps": 1000, "eta": 0}
  },
  "guidance": {"scale": 1, "channels": "all", "schedule": "constant", "power": 4, "diffusion_steps": 1000},
  "metrics": {
    "num_samples": 50000,
    "protocol": "pytorch-fid",
    "inception": "random:0",
    "kid": {"subsets": 100, "subset_size": 1000, "seed": 0},
    "pr": {"k": 3},
    "is": {"splits": 10}
  }
})json";

}  // namespace diffbench
