// `diffbench run`: a suite in, one result per run out. Each run is split into fixed chunks of
// seeds; a finished chunk's features and float64 statistics are checkpointed, so an interrupted
// run resumes where it stopped and a sharded run merges into the numbers of a single one.
#pragma once
#include <string>

namespace diffbench {

struct Suite;

struct RunOptions {
  std::string results_dir;      // default <source dir>/results
  bool resume = false;          // skip finished runs and chunks
  bool force = false;           // recompute and replace existing results
  int shard_index = 0, shard_count = 1;  // --shard i/N: chunks c with c % N == i
  int threads = -1;             // >= 0 overrides the suite
  std::string device;           // non-empty overrides the suite
  int batch_size = 0;           // > 0 overrides the suite
  std::string only;             // run only runs whose id contains this
  bool plan_only = false;       // print the plan and stop
};

// Parses "i/N" (0 <= i < N). Error naming the flag otherwise.
void parse_shard(const std::string& text, int& index, int& count);

// Runs every run of the suite; returns the process exit code.
int run_suite(const Suite& suite, const RunOptions& options);

// Combines the shards' checkpointed chunks of every run of the suite into results (diffbench merge).
int merge_suite(const Suite& suite, const RunOptions& options);

}  // namespace diffbench
