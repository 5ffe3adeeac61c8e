// diffbench: the command-line front door. Parses the verb and hands the rest to it; every bad
// input ends in one "diffbench: error:" line and a non-zero exit, never a stack trace.
#include <c10/util/Exception.h>

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/runtime.h"
#include "harness/commands.h"

namespace {

void print_help() {
  std::cout << "usage: diffbench COMMAND [ARGS...]\n\n"
               "Reproducible evaluation of diffusion image generators: FID, IS, KID, precision/recall,\n"
               "sFID with a native FID Inception-v3, DiffiT / U-Net / DiT models, suites, profiles.\n\n"
               "commands:\n";
  for (const auto& c : diffbench::all_commands())
    std::cout << "  " << c.name << std::string(12 - std::min<size_t>(11, std::strlen(c.name)), ' ')
              << c.summary << "\n";
  std::cout << "\nRun 'diffbench COMMAND --help' for the options of one command.\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" ||
      std::string(argv[1]) == "help") {
    print_help();
    return argc < 2 ? 2 : 0;
  }
  std::string verb = argv[1];
  std::vector<std::string> rest(argv + 2, argv + argc);
  for (const auto& c : diffbench::all_commands()) {
    if (verb != c.name) continue;
    try {
      diffbench::check_blas();
      diffbench::configure_threads(0);  // all cores by default (LibTorch alone picks 1 here); --threads overrides
      return c.run(rest);
    } catch (const diffbench::Error& e) {
      std::cerr << "diffbench: error: " << e.what() << "\n";
      return 1;
    } catch (const c10::Error& e) {
      // LibTorch's messages carry a C++ backtrace: keep only the first line.
      std::string msg = e.what_without_backtrace();
      std::cerr << "diffbench: error: " << msg.substr(0, msg.find('\n')) << "\n";
      return 1;
    } catch (const std::exception& e) {
      std::cerr << "diffbench: error: " << e.what() << "\n";
      return 1;
    }
  }
  std::cerr << "diffbench: error: unknown command \"" << verb << "\"\n"
            << "usage: diffbench COMMAND [ARGS...] (run 'diffbench --help' for the list)\n";
  return 2;
}
