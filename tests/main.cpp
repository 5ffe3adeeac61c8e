// Catch2 entry point: fixes the thread count first, since LibTorch alone picks 1 here.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "common/runtime.h"

int main(int argc, char* argv[]) {
  diffbench::configure_threads(0);
  return Catch::Session().run(argc, argv);
}
