// Suite expansion: matrix blocks and explicit runs become self-contained run entries with
// defaults applied, names replaced by their entries and a stable id.
#include <cstdio>

#include "common/error.h"
#include "common/files.h"
#include "common/hash.h"
#include "common/json_file.h"
#include "harness/suite.h"
#include "metrics/inception_weights.h"

namespace diffbench {

using nlohmann::json;

namespace {

const json& find_named(const json& suite, const char* section, const std::string& name) {
  for (const auto& e : suite.at(section))
    if (e.value("name", std::string()) == name) return e;
  fail(std::string("no ") + section + " entry named \"" + name + "\"");
}

// `over` on top of `base`, recursively for objects.
json merged(json base, const json& over) {
  if (!over.is_object()) return base;
  if (!base.is_object()) base = json::object();
  for (auto it = over.begin(); it != over.end(); ++it)
    base[it.key()] = it.value().is_object() ? merged(base.value(it.key(), json::object()), it.value()) : it.value();
  return base;
}

std::string slug(const std::string& s) {
  std::string out;
  for (char c : s) {
    bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
    out += keep ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : '-';
  }
  return out;
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

json resolved_dataset(const Suite& suite, const json& d) {
  json out = merged(json{{"split", "train"}}, d);
  out["source_resolved"] = suite.resolve(d["source"]);
  return out;
}

// Adds config_resolved / config_object / weights_resolved beside "config" and "weights".
void resolve_config_and_weights(const Suite& suite, json& out) {
  if (out["config"].is_string()) {
    out["config_resolved"] = suite.resolve(out["config"]);
    if (file_exists(out["config_resolved"])) {
      try {
        out["config_object"] = read_json_file(out["config_resolved"]);
      } catch (const Error&) {  // suite validation reports the bad file
      }
    }
  } else {
    out["config_object"] = out["config"];
  }
  if (out.contains("weights")) out["weights_resolved"] = suite.resolve(out["weights"]);
}

json resolved_model(const Suite& suite, const json& m) {
  json out = m;
  if (m.contains("images")) {
    out["kind"] = "images";
    return out;
  }
  out["kind"] = "generator";
  resolve_config_and_weights(suite, out);
  if (out.contains("vae")) resolve_config_and_weights(suite, out["vae"]);
  return out;
}

json resolved_sampler(const json& s) {
  json out = merged(suite_defaults()["sampler"][s["kind"].get<std::string>()], s);
  out.erase("guidance");
  return out;
}

json resolved_metrics(const Suite& suite, const json& m, const json& dataset) {
  json out = merged(suite_defaults()["metrics"], m);
  std::string ref = m.value("reference", dataset["name"].get<std::string>());
  out["reference"] = ref == dataset["name"] ? dataset : resolved_dataset(suite, find_named(suite.json, "datasets", ref));
  std::string inc = out["inception"];
  if (!is_random_inception(inc)) out["inception_resolved"] = suite.resolve(inc);
  if (m.contains("reference_stats")) out["reference_stats_resolved"] = suite.resolve(m["reference_stats"]);
  return out;
}

// What makes a run the run it is: everything that changes its images or its numbers, as written
// (no absolute paths, so the id survives moving the checkout; no batch size or threads).
json identity(const json& e) {
  json id = {{"model", e["model"]}, {"sampler", e["sampler"]}, {"guidance", e["guidance"]},
             {"dataset", e["dataset"]}, {"metrics", e["metrics"]}, {"seeds", e["seeds"]}};
  // Reduced precision changes the numbers, so it names a different run; fp32 keeps the ids it always had.
  if (e.value("precision", "fp32") != "fp32") id["precision"] = e["precision"];
  if (e.value("tf32", false)) id["tf32"] = true;
  std::function<void(json&)> strip = [&](json& j) {
    if (!j.is_object()) return;
    for (const char* k : {"source_resolved", "config_resolved", "config_object", "weights_resolved", "inception_resolved",
                          "reference_stats_resolved", "hint", "obtain", "description"})
      j.erase(k);
    for (auto& v : j) strip(v);
  };
  strip(id);
  return id;
}

struct Choice {
  std::string model, sampler_name, dataset, metrics;
  json inline_sampler;  // non-null for a run's inline sampler object
  std::optional<int64_t> steps;
  std::optional<double> guidance;
  json seeds;
  std::string origin;
};

RunSpec make_run(const Suite& suite, const Choice& c) {
  const json& j = suite.json;
  const json& d = suite_defaults();
  json e = json::object();
  e["suite"] = suite.name();
  e["origin"] = c.origin;
  json model = resolved_model(suite, find_named(j, "models", c.model));
  json dataset = resolved_dataset(suite, find_named(j, "datasets", c.dataset));
  e["model"] = model;
  e["dataset"] = dataset;
  e["metrics"] = resolved_metrics(suite, find_named(j, "metrics", c.metrics), dataset);
  e["sampler"] = nullptr;
  e["guidance"] = nullptr;
  if (model["kind"] == "generator") {
    json s = c.inline_sampler.is_object() ? c.inline_sampler : find_named(j, "samplers", c.sampler_name);
    if (!s.contains("name")) s["name"] = s["kind"];
    json sampler = resolved_sampler(s);
    if (c.steps) sampler["steps"] = *c.steps;
    // Guidance: defaults < model config < model entry < sampler < the run's scale.
    json g = d["guidance"];
    if (model.contains("config_object") && model["config_object"].contains("guidance"))
      g = merged(g, model["config_object"]["guidance"]);
    g = merged(g, model.value("guidance", json::object()));
    g = merged(g, s.value("guidance", json::object()));
    if (c.guidance) g["scale"] = *c.guidance;
    e["sampler"] = sampler;
    e["guidance"] = g;
  }
  e["seeds"] = c.seeds;
  for (const char* k : {"device", "threads", "batch_size", "chunk_size", "keep_images", "grid", "precision", "tf32"})
    e[k] = j.contains(k) ? j[k] : d[k];
  e["profile"] = merged(d["profile"], j.value("profile", json::object()));

  std::string name = slug(c.model);
  if (model["kind"] == "generator")
    name += "." + slug(e["sampler"]["kind"].get<std::string>()) + "-" + std::to_string(e["sampler"]["steps"].get<int64_t>()) +
            ".g" + number_text(e["guidance"]["scale"].get<double>());
  name += "." + slug(c.dataset) + "." + slug(c.metrics);
  RunSpec run;
  run.id = name + "-" + sha256_hex(identity(e).dump()).substr(0, 8);
  e["run_id"] = run.id;
  run.entry = e;
  return run;
}

}  // namespace

std::vector<RunSpec> expand(const Suite& suite) {
  const json& j = suite.json;
  json default_seeds = j.contains("seeds") ? j["seeds"] : suite_defaults()["seeds"];
  std::vector<RunSpec> runs;
  auto is_images = [&](const std::string& model) { return find_named(j, "models", model).contains("images"); };
  if (j.contains("matrix")) {
    for (size_t b = 0; b < j["matrix"].size(); ++b) {
      const json& block = j["matrix"][b];
      Choice c;
      c.origin = "/matrix/" + std::to_string(b);
      c.seeds = block.value("seeds", default_seeds);
      // Axes left out contribute one "no override" value.
      std::vector<std::optional<int64_t>> steps = {std::nullopt};
      std::vector<std::optional<double>> scales = {std::nullopt};
      if (block.contains("steps")) {
        steps.clear();
        for (const auto& s : block["steps"]) steps.push_back(s.get<int64_t>());
      }
      if (block.contains("guidance")) {
        scales.clear();
        for (const auto& s : block["guidance"]) scales.push_back(s.get<double>());
      }
      for (const auto& model : block["models"]) {
        c.model = model;
        bool images = is_images(c.model);
        json samplers = images ? json::array({""}) : block.at("samplers");
        for (const auto& sampler : samplers)
          for (size_t si = 0; si < (images ? 1 : steps.size()); ++si)
            for (size_t gi = 0; gi < (images ? 1 : scales.size()); ++gi)
              for (const auto& dataset : block["datasets"])
                for (const auto& metrics : block["metrics"]) {
                  c.sampler_name = sampler;
                  c.steps = images ? std::nullopt : steps[si];
                  c.guidance = images ? std::nullopt : scales[gi];
                  c.dataset = dataset;
                  c.metrics = metrics;
                  runs.push_back(make_run(suite, c));
                }
      }
    }
  }
  if (j.contains("runs")) {
    for (size_t r = 0; r < j["runs"].size(); ++r) {
      const json& run = j["runs"][r];
      Choice c;
      c.origin = "/runs/" + std::to_string(r);
      c.model = run["model"];
      c.dataset = run["dataset"];
      c.metrics = run["metrics"];
      c.seeds = run.value("seeds", default_seeds);
      if (run.contains("sampler")) {
        if (run["sampler"].is_object())
          c.inline_sampler = run["sampler"];
        else
          c.sampler_name = run["sampler"];
      }
      if (run.contains("steps")) c.steps = run["steps"].get<int64_t>();
      if (run.contains("guidance")) c.guidance = run["guidance"].get<double>();
      runs.push_back(make_run(suite, c));
    }
  }
  return runs;
}

}  // namespace diffbench
