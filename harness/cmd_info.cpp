// `diffbench info`: what this build is and what it runs on, the facts every result records.
#include <torch/version.h>

#include <iostream>

#include "build_info.h"
#include "common/runtime.h"
#include "harness/args.h"
#include "harness/commands.h"

namespace diffbench {

int cmd_info(const CommandArgs& argv) {
  Args args("diffbench info [--threads N] [--device D]",
            "Print the build's commit, the LibTorch version, the device, threads and the BLAS linked.");
  args.option("--threads", "N", "intra-op threads, 0 = all cores", "0");
  args.option("--device", "D", "cpu, cuda, cuda:N or auto", "auto");
  args.parse(argv);
  int threads = configure_threads(args.get_int("--threads"));
  auto device = resolve_device(args.get("--device"));
  std::cout << "diffbench commit: " << (std::string(DIFFBENCH_BUILD_COMMIT).empty() ? "unknown" : DIFFBENCH_BUILD_COMMIT) << "\n"
            << "libtorch: " << TORCH_VERSION << "\n"
            << "device: " << device_description(device) << "\n"
            << "threads: " << threads << "\n"
            << "blas: " << linked_blas() << "\n";
  return 0;
}

}  // namespace diffbench
