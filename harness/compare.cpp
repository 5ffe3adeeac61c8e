// Result comparison: verdicts per metric, bootstrap noise over chunks, folder matching by run id.
#include "harness/compare.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>

#include "common/error.h"
#include "harness/result.h"

namespace diffbench {

using nlohmann::json;

double Tolerance::of(double base) const { return std::max(relative * std::fabs(base), absolute); }

Tolerance parse_tolerance(const std::string& text, const std::string& flag) {
  std::string t = text;
  bool percent = !t.empty() && t.back() == '%';
  if (percent) t.pop_back();
  size_t used = 0;
  double v = -1;
  try {
    v = std::stod(t, &used);
  } catch (const std::exception&) {
  }
  if (t.empty() || used != t.size() || !(v >= 0))
    fail(flag + ": expected a non-negative number or a percentage like 0.5%, got \"" + text + "\"");
  return percent ? Tolerance{v / 100, 0} : Tolerance{0, v};
}

std::optional<double> chunk_noise(const std::vector<double>& chunks) {
  size_t k = chunks.size();
  if (k < 2) return std::nullopt;
  std::mt19937_64 rng(0);
  std::uniform_int_distribution<size_t> pick(0, k - 1);
  const int resamples = 1000;
  double sum = 0, sum_sq = 0;
  for (int b = 0; b < resamples; ++b) {
    double mean = 0;
    for (size_t i = 0; i < k; ++i) mean += chunks[pick(rng)];
    mean /= static_cast<double>(k);
    sum += mean;
    sum_sq += mean * mean;
  }
  double m = sum / resamples;
  return std::sqrt(std::max(0.0, sum_sq / resamples - m * m));
}

static std::optional<double> metric_noise(const json& r, const std::string& name) {
  if (!r.contains("metrics") || !r["metrics"].contains(name)) return std::nullopt;
  const json& m = r["metrics"][name];
  if (!m.is_object()) return std::nullopt;
  if (m.contains("chunks") && m["chunks"].is_array()) {
    std::vector<double> chunks;
    for (const auto& c : m["chunks"])
      if (c.is_number()) chunks.push_back(c.get<double>());
    if (auto n = chunk_noise(chunks)) return n;
  }
  if (m.contains("stderr") && m["stderr"].is_number()) return m["stderr"].get<double>();
  return std::nullopt;
}

static std::vector<std::string> metric_names(const json& r) {
  std::vector<std::string> out;
  if (r.contains("metrics") && r["metrics"].is_object())
    for (auto it = r["metrics"].begin(); it != r["metrics"].end(); ++it) out.push_back(it.key());
  return out;
}

// Every metric must be {"value": number, ...}: a malformed one would otherwise drop out of the
// comparison and a regression pass as "added".
static void check_metric_values(const json& r) {
  const std::string where = r.value("file", "result of run " + r.value("run_id", std::string("?")));
  if (!r.contains("metrics")) return;
  if (!r["metrics"].is_object()) fail(where + ": \"metrics\" must be an object, got " + r["metrics"].dump());
  for (auto it = r["metrics"].begin(); it != r["metrics"].end(); ++it)
    if (!it->is_object() || !it->contains("value") || !(*it)["value"].is_number())
      fail(where + ": metrics/" + it.key() + ": expected {\"value\": number, ...}, got " + it->dump().substr(0, 80));
}

Comparison compare_results(const json& base, const json& next, const CompareOptions& o) {
  check_metric_values(base);
  check_metric_values(next);
  Comparison c;
  std::string run_id = base.value("run_id", next.value("run_id", std::string("?")));
  std::vector<std::string> names = metric_names(base);
  for (const auto& n : metric_names(next))
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  names.push_back("images_per_s");
  for (const auto& name : names) {
    CompareRow row;
    row.run_id = run_id;
    row.metric = name;
    row.base = result_value(base, name);
    row.next = result_value(next, name);
    if (!row.base && !row.next) continue;
    bool throughput = name == "images_per_s";
    if (!row.next) {
      row.verdict = "missing";
      row.failed = !throughput || o.fail_on_throughput;
    } else if (!row.base) {
      row.verdict = "added";
    } else {
      row.delta = *row.next - *row.base;
      auto nb = metric_noise(base, name), nn = metric_noise(next, name);
      if (nb || nn) row.noise = std::sqrt(nb.value_or(0) * nb.value_or(0) + nn.value_or(0) * nn.value_or(0));
      const Tolerance& t = throughput ? o.throughput_tol : (name == "fid" || name == "sfid") ? o.fid_tol : o.tol;
      row.tolerance = std::max(t.of(*row.base), throughput ? 0.0 : o.abs_tol);
      if (row.noise && o.noise_sigmas > 0 && !throughput) row.tolerance = std::max(row.tolerance, o.noise_sigmas * *row.noise);
      int dir = metric_direction(name);
      double worse_by = dir == 0 ? 0.0 : -dir * row.delta;  // > 0 when it got worse
      if (dir == 0 || std::fabs(row.delta) <= row.tolerance) {
        row.verdict = "same";
      } else if (worse_by > 0) {
        row.verdict = throughput ? "slower" : "worse";
        row.failed = !throughput || o.fail_on_throughput;
      } else {
        row.verdict = throughput ? "faster" : "better";
      }
    }
    c.failed = c.failed || row.failed;
    c.rows.push_back(row);
  }
  return c;
}

static std::map<std::string, json> by_run_id(const std::string& folder) {
  std::map<std::string, json> out;
  for (const auto& f : result_files(folder)) {
    json r = read_result(f);
    std::string id = r.value("run_id", std::filesystem::path(f).stem().string());
    if (out.count(id)) fail(folder + ": two results for run \"" + id + "\" (" + out[id]["file"].get<std::string>() + ", " + f + ")");
    r["file"] = f;
    out[id] = r;
  }
  return out;
}

Comparison compare_paths(const std::string& base, const std::string& next, const CompareOptions& o) {
  for (const std::string& p : {base, next})
    if (!std::filesystem::exists(p)) fail(p + ": no such result file or folder");
  bool base_dir = std::filesystem::is_directory(base), next_dir = std::filesystem::is_directory(next);
  if (base_dir != next_dir) fail(base + ", " + next + ": compare two result files or two result folders, not one of each");
  if (!base_dir) {
    json b = read_result(base), n = read_result(next);
    b["file"] = base;
    n["file"] = next;
    return compare_results(b, n, o);
  }
  auto b = by_run_id(base), n = by_run_id(next);
  Comparison c;
  auto append = [&](const Comparison& x) {
    c.rows.insert(c.rows.end(), x.rows.begin(), x.rows.end());
    c.failed = c.failed || x.failed;
  };
  for (const auto& [id, r] : b) {
    if (!n.count(id)) {
      CompareRow row;
      row.run_id = id;
      row.metric = "(run)";
      row.verdict = "missing";
      row.failed = true;
      append({{row}, true});
      continue;
    }
    append(compare_results(r, n[id], o));
  }
  for (const auto& [id, r] : n)
    if (!b.count(id)) {
      CompareRow row;
      row.run_id = id;
      row.metric = "(run)";
      row.verdict = "added";
      append({{row}, false});
    }
  return c;
}

static std::string num(std::optional<double> v, bool sign = false) {
  if (!v) return "-";
  char buf[40];
  std::snprintf(buf, sizeof buf, sign ? "%+.6g" : "%.6g", *v);
  return buf;
}

std::string format_comparison(const Comparison& c) {
  std::vector<std::vector<std::string>> cells = {{"run", "metric", "base", "new", "delta", "tolerance", "noise", "verdict"}};
  for (const auto& r : c.rows) {
    bool both = r.base && r.next;
    cells.push_back({r.run_id, r.metric, num(r.base), num(r.next), both ? num(r.delta, true) : "-",
                     both ? num(r.tolerance) : "-", r.noise ? "±" + num(r.noise) : "-",
                     r.failed ? r.verdict + " (FAIL)" : r.verdict});
  }
  std::vector<size_t> width(cells[0].size(), 0);
  auto display = [](const std::string& s) {  // UTF-8 code points, so "±" counts once
    size_t n = 0;
    for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
    return n;
  };
  for (const auto& row : cells)
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], display(row[i]));
  std::ostringstream out;
  for (const auto& row : cells) {
    for (size_t i = 0; i < row.size(); ++i) {
      bool last = i + 1 == row.size();
      out << row[i] << (last ? "" : std::string(width[i] - display(row[i]) + 2, ' '));
    }
    out << "\n";
  }
  size_t failed = std::count_if(c.rows.begin(), c.rows.end(), [](const CompareRow& r) { return r.failed; });
  out << (failed ? std::to_string(failed) + " regression(s) beyond tolerance" : "no regression beyond tolerance") << "\n";
  return out.str();
}

}  // namespace diffbench
