// compare: verdicts, tolerances, noise from chunks, folder matching and the CLI's exit codes.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include "build_info.h"
#include "common/error.h"
#include "harness/compare.h"
#include "test_results_fixtures.h"

using namespace diffbench;
using nlohmann::json;

namespace {

const CompareRow& row(const Comparison& c, const std::string& metric) {
  for (const auto& r : c.rows)
    if (r.metric == metric) return r;
  FAIL("no row for " << metric);
  return c.rows.front();
}

int cli(const std::string& args) {
  int status = std::system((std::string(DIFFBENCH_BINARY) + " " + args + " > /dev/null 2>&1").c_str());
  return WEXITSTATUS(status);
}

}  // namespace

TEST_CASE("compare: tolerances parse as relative (%) or absolute", "[harness]") {
  CHECK(parse_tolerance("0.5%", "--fid-tol").relative == Approx(0.005));
  CHECK(parse_tolerance("0.1", "--fid-tol").absolute == Approx(0.1));
  CHECK(parse_tolerance("0.5%", "--fid-tol").of(10.0) == Approx(0.05));
  CHECK_THROWS_WITH(parse_tolerance("abc", "--fid-tol"),
                    "--fid-tol: expected a non-negative number or a percentage like 0.5%, got \"abc\"");
}

TEST_CASE("compare: verdicts per metric direction and tolerance", "[harness]") {
  json base = fixtures::crafted_result("r", "m", {{"fid", 10.0}, {"is", 9.0}, {"precision", 0.60}, {"kid", 0.0020}},
                                      {{"images_per_s", 100.0}});
  json next = fixtures::crafted_result("r", "m", {{"fid", 10.04}, {"is", 9.5}, {"precision", 0.55}, {"kid", 0.0020}},
                                      {{"images_per_s", 80.0}});
  CompareOptions o;
  Comparison c = compare_results(base, next, o);
  CHECK(row(c, "fid").verdict == "same");  // +0.4% within the 0.5% default
  CHECK(row(c, "fid").tolerance == Approx(0.05));
  CHECK(row(c, "fid").delta == Approx(0.04));
  CHECK(row(c, "is").verdict == "better");
  CHECK(row(c, "precision").verdict == "worse");
  CHECK(row(c, "precision").failed);
  CHECK(row(c, "kid").verdict == "same");
  CHECK(row(c, "images_per_s").verdict == "slower");
  CHECK_FALSE(row(c, "images_per_s").failed);  // reported, not failed unless asked
  CHECK(c.failed);

  next["metrics"]["precision"]["value"] = 0.598;  // -0.33%: within tolerance
  next["metrics"]["fid"]["value"] = 10.2;          // +2%: worse (lower is better)
  c = compare_results(base, next, o);
  CHECK(row(c, "precision").verdict == "same");
  CHECK(row(c, "fid").verdict == "worse");
  o.fid_tol = parse_tolerance("3%", "--fid-tol");
  c = compare_results(base, next, o);
  CHECK(row(c, "fid").verdict == "same");
  CHECK_FALSE(c.failed);
  o.fail_on_throughput = true;
  CHECK(compare_results(base, next, o).failed);

  next["metrics"].erase("is");
  o.fail_on_throughput = false;
  c = compare_results(base, next, o);
  CHECK(row(c, "is").verdict == "missing");
  CHECK(c.failed);
}

TEST_CASE("compare: a metric that is not a number is refused, not dropped", "[harness]") {
  json base = fixtures::crafted_result("r", "m", {{"fid", 10.0}});
  json next = fixtures::crafted_result("r", "m", {{"fid", 99999.0}});
  base["metrics"]["fid"]["value"] = "10";  // a regression must not pass as "added"
  CHECK_THROWS_WITH(compare_results(base, next, {}), Catch::Contains("metrics/fid: expected {\"value\": number"));
  base["metrics"] = json::array({1});
  CHECK_THROWS_WITH(compare_results(base, next, {}), Catch::Contains("\"metrics\" must be an object"));
}

TEST_CASE("compare: noise estimate is a bootstrap over per-chunk values", "[harness]") {
  CHECK_FALSE(chunk_noise({1.0}));
  // Population std of {1,2,3,4} is 1.118; the standard error of the mean of 4 chunks is 0.559.
  CHECK(*chunk_noise({1, 2, 3, 4}) == Approx(0.559).epsilon(0.05));
  CHECK(*chunk_noise({1, 2, 3, 4}) == *chunk_noise({1, 2, 3, 4}));  // seeded
  json base = fixtures::crafted_result("r", "m", {{"fid", 10.0}});
  json next = fixtures::crafted_result("r", "m", {{"fid", 10.3}});
  base["metrics"]["fid"]["chunks"] = {9.0, 10.0, 11.0, 10.0};
  next["metrics"]["fid"]["chunks"] = {9.3, 10.3, 11.3, 10.3};
  CompareOptions o;
  Comparison c = compare_results(base, next, o);
  REQUIRE(row(c, "fid").noise);
  CHECK(*row(c, "fid").noise == Approx(std::sqrt(2.0) * 0.354).epsilon(0.08));
  CHECK(row(c, "fid").verdict == "worse");
  o.noise_sigmas = 2;  // within two noise estimates: not a regression
  CHECK(compare_results(base, next, o).rows[0].verdict == "same");
}

TEST_CASE("compare: folders are matched by run id; a run missing from NEW fails", "[harness]") {
  std::string a = fixtures::fresh_dir("compare-a"), b = fixtures::fresh_dir("compare-b");
  write_result(a + "/x.json", fixtures::crafted_result("run-x", "m", {{"fid", 5.0}}));
  write_result(a + "/y.json", fixtures::crafted_result("run-y", "m", {{"fid", 6.0}}));
  write_result(b + "/renamed.json", fixtures::crafted_result("run-x", "m", {{"fid", 5.01}}));
  write_result(b + "/z.json", fixtures::crafted_result("run-z", "m", {{"fid", 1.0}}));
  Comparison c = compare_paths(a, b, {});
  REQUIRE(c.rows.size() == 3);
  CHECK(c.rows[0].run_id == "run-x");
  CHECK(c.rows[0].verdict == "same");
  CHECK(c.rows[1].run_id == "run-y");
  CHECK(c.rows[1].verdict == "missing");
  CHECK(c.rows[2].run_id == "run-z");
  CHECK(c.rows[2].verdict == "added");
  CHECK(c.failed);
  CHECK_THROWS_AS(compare_paths(a, b + "/z.json", {}), Error);
  std::string text = format_comparison(c);
  CHECK(text.rfind("run    metric  base  new   delta  tolerance  noise  verdict\n", 0) == 0);
  CHECK(text.find("run-x  fid     5     5.01  +0.01  0.025      -      same\n") != std::string::npos);
  CHECK(text.find("1 regression(s) beyond tolerance") != std::string::npos);
  std::filesystem::remove_all(a);
  std::filesystem::remove_all(b);
}

TEST_CASE("compare: CLI exit codes", "[harness]") {
  std::string d = fixtures::fresh_dir("compare-cli");
  write_result(d + "/base.json", fixtures::crafted_result("r", "m", {{"fid", 10.0}}, {{"images_per_s", 100.0}}));
  write_result(d + "/same.json", fixtures::crafted_result("r", "m", {{"fid", 10.01}}, {{"images_per_s", 50.0}}));
  write_result(d + "/worse.json", fixtures::crafted_result("r", "m", {{"fid", 10.5}}, {{"images_per_s", 100.0}}));
  CHECK(cli("compare " + d + "/base.json " + d + "/same.json") == 0);
  CHECK(cli("compare " + d + "/base.json " + d + "/same.json --fail-on-throughput") == 1);
  CHECK(cli("compare " + d + "/base.json " + d + "/worse.json") == 1);
  CHECK(cli("compare " + d + "/base.json " + d + "/worse.json --fid-tol 10%") == 0);
  CHECK(cli("compare " + d + "/base.json " + d + "/worse.json --abs-tol 0.6") == 0);
  CHECK(cli("compare " + d + "/base.json " + d + "/missing.json") == 1);
  std::filesystem::remove_all(d);
}
