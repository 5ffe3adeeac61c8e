// table (md, latex, csv: exact strings) and plot (well-formed SVG, PNG through OpenCV).
#include <catch2/catch.hpp>

#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <regex>

#include "common/error.h"
#include "common/files.h"
#include "harness/plot.h"
#include "harness/table.h"
#include "test_results_fixtures.h"

using namespace diffbench;
using nlohmann::json;

namespace {

std::vector<json> two_results() {
  return {fixtures::crafted_result("a", "ddpmpp", {{"fid", 1.97}, {"is", 9.84}, {"precision", 0.67}, {"recall", 0.61}},
                                  {{"params", 55735299}, {"macs_per_call", 21.3e9}, {"nfe", 35}, {"images_per_s", 12.34}}),
          fixtures::crafted_result("b", "diffit_img", {{"fid", 1.95}, {"is", 9.71}, {"precision", 0.67}},
                                  {{"params", 17576003}, {"macs_per_call", 4.73e9}, {"nfe", 35}, {"images_per_s", 20.5}})};
}

// Tags nest and close: a small check that the SVG is well-formed XML.
bool balanced_tags(const std::string& xml, std::string& why) {
  std::vector<std::string> stack;
  std::regex tag("<(/?)([a-zA-Z?!][^\\s>/]*)[^>]*?(/?)>");
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), tag); it != std::sregex_iterator(); ++it) {
    std::string name = (*it)[2];
    if (name[0] == '?' || name[0] == '!') continue;
    if ((*it)[1] == "/") {
      if (stack.empty() || stack.back() != name) {
        why = "unexpected </" + name + ">";
        return false;
      }
      stack.pop_back();
    } else if ((*it)[3] != "/") {
      stack.push_back(name);
    }
  }
  why = stack.empty() ? "" : "unclosed <" + stack.back() + ">";
  return stack.empty();
}

}  // namespace

TEST_CASE("table: markdown", "[harness]") {
  Table t = build_table(two_results(), default_table_columns());
  CHECK(format_table(t, "md") ==
        "| Model | Params (M) | GMACs | NFE | FID | IS | Precision | Recall | Images/s |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        "| ddpmpp | 55.7 | 21.30 | 35 | 1.97 | 9.84 | 0.670 | 0.610 | 12.3 |\n"
        "| diffit_img | 17.6 | 4.73 | 35 | 1.95 | 9.71 | 0.670 | - | 20.5 |\n");
}

TEST_CASE("table: latex booktabs with the best value per column in bold", "[harness]") {
  Table t = build_table(two_results(), default_table_columns());
  CHECK(format_table(t, "latex") ==
        "\\begin{tabular}{lrrrrrrrr}\n"
        "\\toprule\n"
        "Model & Params (M) & GMACs & NFE & FID & IS & Precision & Recall & Images/s \\\\\n"
        "\\midrule\n"
        "ddpmpp & 55.7 & 21.30 & 35 & 1.97 & \\textbf{9.84} & \\textbf{0.670} & \\textbf{0.610} & 12.3 \\\\\n"
        "diffit\\_img & 17.6 & 4.73 & 35 & \\textbf{1.95} & 9.71 & \\textbf{0.670} & -- & \\textbf{20.5} \\\\\n"
        "\\bottomrule\n"
        "\\end{tabular}\n");
}

TEST_CASE("table: csv, chosen columns and digits", "[harness]") {
  auto results = two_results();
  results[1]["run"]["model"]["name"] = "diffit, \"img\"";
  Table t = build_table(results, {"model", "steps", "fid", "recall"}, 3);
  CHECK(format_table(t, "csv") ==
        "model,steps,fid,recall\n"
        "ddpmpp,18,1.970,0.610\n"
        "\"diffit, \"\"img\"\"\",18,1.950,\n");
  CHECK_THROWS_WITH(build_table(results, {"model", "fdi"}),
                    "--columns: unknown column \"fdi\"; known: model, sampler, dataset, run_id, steps, guidance, params, training_images, "
                    "macs, nfe, fid, is, kid, sfid, precision, recall, images_per_s, wall_time");
  CHECK_THROWS_WITH(format_table(t, "html"), "--format: unknown format \"html\"; expected md, latex or csv");
}

TEST_CASE("plot: series per model and a well-formed SVG", "[harness]") {
  std::vector<json> results;
  for (int steps : {18, 9})
    for (const char* model : {"edm", "diffit"})
      results.push_back(fixtures::crafted_result(std::string(model) + std::to_string(steps), model,
                                                {{"fid", steps == 18 ? 2.0 : 4.0}}, {{"nfe", 2 * steps - 1}}, steps));
  results.push_back(fixtures::crafted_result("no-fid", "edm", {}, {{"nfe", 5}}));
  PlotSpec spec;
  auto series = collect_series(results, spec);
  REQUIRE(series.size() == 2);
  CHECK(series[0].name == "edm");
  CHECK(series[0].points == std::vector<std::pair<double, double>>{{17, 4.0}, {35, 2.0}});
  std::string svg = render_svg(series, spec);
  CHECK(svg.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
  std::string why;
  CHECK(balanced_tags(svg, why));
  INFO(why);
  size_t polylines = 0;
  for (size_t p = svg.find("<polyline"); p != std::string::npos; p = svg.find("<polyline", p + 1)) ++polylines;
  CHECK(polylines == 2);
  CHECK(svg.find(">fid vs nfe</text>") != std::string::npos);
  CHECK(svg.find(">diffit</text>") != std::string::npos);
  spec.y = "recall";
  CHECK_THROWS_WITH(collect_series(results, spec), "plot: no result has both \"nfe\" and \"recall\"");
}

TEST_CASE("plot: throughput against batch size from profile results, SVG and PNG files", "[harness]") {
  json profile = fixtures::crafted_result("p", "dit-tiny", {});
  profile["kind"] = "profile";
  profile["profile"]["points"] = {{{"batch_size", 8}, {"images_per_s", 50.0}}, {{"batch_size", 1}, {"images_per_s", 10.0}}};
  PlotSpec spec;
  spec.x = "batch_size";
  spec.y = "images_per_s";
  spec.log_x = true;
  auto series = collect_series({profile}, spec);
  REQUIRE(series.size() == 1);
  CHECK(series[0].points == std::vector<std::pair<double, double>>{{1, 10.0}, {8, 50.0}});
  std::string dir = fixtures::fresh_dir("plot");
  write_plot(series, spec, dir + "/t.svg");
  write_plot(series, spec, dir + "/t.png");
  CHECK(read_file(dir + "/t.svg").find("</svg>") != std::string::npos);
  cv::Mat png = cv::imread(dir + "/t.png");
  CHECK(png.cols == 640);
  CHECK(png.rows == 420);
  CHECK_THROWS_WITH(write_plot(series, spec, dir + "/t.pdf"), "--out " + dir + "/t.pdf: expected a file name ending in .svg or .png");
  std::filesystem::remove_all(dir);
}
