// `diffbench plot RESULTS... --x nfe --y fid --out fig.svg`: a line plot, one series per model.
#include "common/log.h"
#include "harness/args.h"
#include "harness/commands.h"
#include "harness/plot.h"
#include "harness/result.h"

namespace diffbench {

int cmd_plot(const CommandArgs& argv) {
  Args args("diffbench plot RESULTS... --out FIG.svg|FIG.png [--x nfe] [--y fid] [--series model] [--log-x]",
            "Plot one value against another over results (SVG, or PNG through OpenCV); profile results "
            "give throughput against batch size with --x batch_size --y images_per_s.");
  args.rest("RESULTS", "result files or folders", true);
  args.required_option("--out", "FILE", "output .svg or .png");
  args.option("--x", "KEY", "x axis value", "nfe");
  args.option("--y", "KEY", "y axis value", "fid");
  args.option("--series", "KEY", "what names a series: model, sampler, dataset, run_id", "model");
  args.option("--title", "TEXT", "plot title (default: \"Y vs X\")");
  args.flag("--log-x", "logarithmic x axis");
  args.parse(argv);
  PlotSpec spec;
  spec.x = args.get("--x");
  spec.y = args.get("--y");
  spec.series = args.get("--series");
  spec.title = args.get("--title");
  spec.log_x = args.has("--log-x");
  auto series = collect_series(read_results(args.rest_values()), spec);
  write_plot(series, spec, args.get("--out"));
  info("wrote " + args.get("--out") + " (" + std::to_string(series.size()) + " series)");
  return 0;
}

}  // namespace diffbench
