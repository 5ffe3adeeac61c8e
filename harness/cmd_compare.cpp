// `diffbench compare BASE NEW`: metric-by-metric verdicts; exit 1 on a regression beyond tolerance.
#include <iostream>

#include "harness/args.h"
#include "harness/commands.h"
#include "harness/compare.h"

namespace diffbench {

int cmd_compare(const CommandArgs& argv) {
  Args args("diffbench compare BASE NEW [--fid-tol 0.5%] [--tol 0.5%] [--abs-tol X] [--fail-on-throughput]",
            "Compare two result files (or two result folders, matched by run id) metric by metric; "
            "exit 1 when a metric got worse beyond its tolerance.");
  args.positional("BASE", "base result file or folder");
  args.positional("NEW", "new result file or folder");
  args.option("--fid-tol", "T", "tolerance for fid and sfid: relative with %, else absolute", "0.5%");
  args.option("--tol", "T", "tolerance for the other metrics: relative with %, else absolute", "0.5%");
  args.option("--abs-tol", "X", "absolute floor of every metric's tolerance", "0");
  args.option("--throughput-tol", "T", "images/s drop reported as slower", "5%");
  args.option("--noise-sigmas", "K", "widen each tolerance to K noise estimates (0 = off)", "0");
  args.flag("--fail-on-throughput", "a throughput regression also exits 1");
  args.parse(argv);
  CompareOptions o;
  o.fid_tol = parse_tolerance(args.get("--fid-tol"), "--fid-tol");
  o.tol = parse_tolerance(args.get("--tol"), "--tol");
  o.abs_tol = parse_tolerance(args.get("--abs-tol"), "--abs-tol").absolute;
  o.throughput_tol = parse_tolerance(args.get("--throughput-tol"), "--throughput-tol");
  o.noise_sigmas = args.get_double("--noise-sigmas");
  o.fail_on_throughput = args.has("--fail-on-throughput");
  Comparison c = compare_paths(args.get("BASE"), args.get("NEW"), o);
  std::cout << format_comparison(c);
  return c.failed ? 1 : 0;
}

}  // namespace diffbench
