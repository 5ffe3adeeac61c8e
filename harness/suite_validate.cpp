// Suite validation: walks the JSON with its pointer path and records every problem (wrong type,
// unknown key with the nearest known one, dangling name, missing file) instead of stopping at one.
#include <set>

#include "common/error.h"
#include "common/files.h"
#include "common/json_file.h"
#include "harness/suite.h"
#include "metrics/inception_weights.h"

namespace diffbench {

using nlohmann::json;

namespace {

// Names of suites and of their sections: letters, digits, '-', '_' and '.' (they become file and
// folder names under --results).
bool has_name_chars(const std::string& n) {
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

enum class T { String, PosInt, NonNegInt, Number, PosNumber, NonNegNumber, Bool, Object, Names, PosIntList, NumberList, Seeds, Config, SamplerRef };

struct Field {
  std::string key;
  T type;
  bool required = false;
  std::vector<std::string> choices = {};  // for strings: the allowed values
};

const std::vector<std::string> kSamplerKinds = {"heun", "euler", "ddpm", "ddim"};
const std::vector<std::string> kMetricNames = {"fid", "is", "kid", "pr", "sfid"};
const std::vector<std::string> kProtocols = {"pytorch-fid", "tf"};
const std::vector<std::string> kSplits = {"train", "test"};
// Architectures trained with label dropout whose published numbers use classifier-free guidance.
const std::vector<std::string> kGuidedArchs = {"dit", "diffit-latent", "diffit_latent", "latent-diffit",
                                               "latent_diffit", "latent-dit"};

std::string quote_list(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", \"" : "\"") + v[i] + "\"";
  return s;
}

std::string shown(const json& v) {
  std::string s = v.dump();
  return s.size() > 40 ? s.substr(0, 37) + "..." : s;
}

bool is_int(const json& v) { return v.is_number_integer() || v.is_number_unsigned(); }

class Checker {
 public:
  Checker(const Suite& suite, const ValidateOptions& options) : suite_(suite), options_(options) {}
  std::vector<SuiteProblem> problems;

  void add(const std::string& path, const std::string& message, const std::string& missing_file = "") {
    problems.push_back({path, message, !missing_file.empty(), missing_file});
  }

  // Type check of one value; true when it has the expected type.
  bool check(const json& v, const Field& f, const std::string& path) {
    auto expected = [&](const std::string& what) {
      add(path, "expected " + what + ", got " + shown(v));
      return false;
    };
    switch (f.type) {
      case T::String:
        if (!v.is_string() || v.get<std::string>().empty()) return expected(f.choices.empty() ? "a non-empty string" : "one of " + quote_list(f.choices));
        if (!f.choices.empty() &&
            std::find(f.choices.begin(), f.choices.end(), v.get<std::string>()) == f.choices.end()) {
          std::string near = nearest(v.get<std::string>(), f.choices);
          add(path, "expected one of " + quote_list(f.choices) + ", got " + shown(v) +
                        (near.empty() ? "" : "; did you mean \"" + near + "\"?"));
          return false;
        }
        return true;
      case T::PosInt:
        return (is_int(v) && v.get<int64_t>() > 0) || expected("a positive integer");
      case T::NonNegInt:
        return (is_int(v) && v.get<int64_t>() >= 0) || expected("a non-negative integer");
      case T::Number:
        return v.is_number() || expected("a number");
      case T::PosNumber:
        return (v.is_number() && v.get<double>() > 0) || expected("a positive number");
      case T::NonNegNumber:
        return (v.is_number() && v.get<double>() >= 0) || expected("a non-negative number");
      case T::Bool:
        return v.is_boolean() || expected("true or false");
      case T::Object:
        return v.is_object() || expected("an object");
      case T::Names: {
        if (!v.is_array() || v.empty()) return expected("a non-empty array of names");
        bool ok = true;
        for (size_t i = 0; i < v.size(); ++i)
          if (!v[i].is_string()) ok = expected_at(v[i], path + "/" + std::to_string(i), "a name (string)");
        return ok;
      }
      case T::PosIntList: {
        if (!v.is_array() || v.empty()) return expected("a non-empty array of positive integers");
        bool ok = true;
        for (size_t i = 0; i < v.size(); ++i)
          if (!is_int(v[i]) || v[i].get<int64_t>() <= 0)
            ok = expected_at(v[i], path + "/" + std::to_string(i), "a positive integer");
        return ok;
      }
      case T::NumberList: {
        if (!v.is_array() || v.empty()) return expected("a non-empty array of numbers");
        bool ok = true;
        for (size_t i = 0; i < v.size(); ++i)
          if (!v[i].is_number() || v[i].get<double>() < 0)
            ok = expected_at(v[i], path + "/" + std::to_string(i), "a non-negative number");
        return ok;
      }
      case T::Seeds:
        try {
          parse_seeds(v, "");
          return true;
        } catch (const Error& e) {
          add(path, std::string(e.what()).substr(2));
          return false;
        }
      case T::Config:
        return v.is_string() || v.is_object() || expected("a config file path or an inline config object");
      case T::SamplerRef:
        return v.is_string() || v.is_object() || expected("a sampler name or an inline sampler object");
    }
    return true;
  }

  bool expected_at(const json& v, const std::string& path, const std::string& what) {
    add(path, "expected " + what + ", got " + shown(v));
    return false;
  }

  // Checks an object against its fields: type, unknown keys (with a suggestion), required keys.
  // Returns false when `j` is not an object at all.
  bool object(const json& j, const std::string& path, const std::vector<Field>& fields) {
    if (!j.is_object()) {
      add(path, "expected an object, got " + shown(j));
      return false;
    }
    std::vector<std::string> known;
    for (const auto& f : fields) known.push_back(f.key);
    for (auto it = j.begin(); it != j.end(); ++it) {
      auto f = std::find_if(fields.begin(), fields.end(), [&](const Field& x) { return x.key == it.key(); });
      std::string p = path + "/" + it.key();
      if (f == fields.end()) {
        std::string near = nearest(it.key(), known);
        add(p, near.empty() ? "unknown key; expected one of " + quote_list(known)
                            : "unknown key; did you mean \"" + near + "\"?");
      } else {
        check(it.value(), *f, p);
      }
    }
    for (const auto& f : fields)
      if (f.required && !j.contains(f.key)) add(path, "missing required key \"" + f.key + "\"");
    return true;
  }

  bool ok_string(const json& j, const std::string& key) {
    return j.is_object() && j.contains(key) && j[key].is_string() && !j[key].get<std::string>().empty();
  }

  // A path that must exist; `holder` may carry "obtain"/"hint" with where to get it.
  void file(const json& holder, const std::string& key, const std::string& path, bool hints = true) {
    if (!options_.check_files || !ok_string(holder, key)) return;
    std::string written = holder[key];
    std::string resolved = suite_.resolve(written);
    if (file_exists(resolved)) return;
    std::string msg = "\"" + written + "\" not found (looked at " + resolved + "): put it there";
    for (const char* h : {"obtain", "hint"})
      if (hints && ok_string(holder, h)) msg += "; " + std::string(h) + ": " + holder[h].get<std::string>();
    add(path, msg, resolved);
  }

  // Collects the names of one section, reporting bad and duplicate names.
  std::vector<std::string> names(const json& section, const std::string& path) {
    std::vector<std::string> out;
    std::map<std::string, size_t> seen;
    for (size_t i = 0; i < section.size(); ++i) {
      const json& e = section[i];
      if (!ok_string(e, "name")) {
        out.push_back("");
        continue;
      }
      std::string n = e["name"];
      if (!has_name_chars(n)) add(path + "/" + std::to_string(i) + "/name", "expected a name of letters, digits, '-', '_' or '.', got " + shown(e["name"]));
      if (seen.count(n))
        add(path + "/" + std::to_string(i) + "/name", "duplicate name \"" + n + "\" (also " + path + "/" + std::to_string(seen[n]) + ")");
      seen[n] = i;
      out.push_back(n);
    }
    return out;
  }

  // A reference by name into a section; -1 (and a problem) when it names nothing.
  int ref(const json& v, const std::vector<std::string>& known, const std::string& what, const std::string& path) {
    if (!v.is_string()) return -1;  // type already reported
    auto it = std::find(known.begin(), known.end(), v.get<std::string>());
    if (it != known.end()) return static_cast<int>(it - known.begin());
    std::string near = nearest(v.get<std::string>(), known);
    add(path, "unknown " + what + " " + shown(v) +
                  (near.empty() ? "; defined: " + quote_list(known) : "; did you mean \"" + near + "\"?"));
    return -1;
  }

  const Suite& suite_;
  ValidateOptions options_;
};

std::vector<Field> guidance_fields() {
  return {{"scale", T::NonNegNumber},
          {"channels", T::String, false, {"first3", "all"}},
          {"schedule", T::String, false, {"constant", "power_cosine"}},
          {"power", T::PosNumber},
          {"diffusion_steps", T::PosInt}};
}

std::vector<Field> sampler_fields(const json& s, bool inline_sampler) {
  std::vector<Field> f = {{"name", T::String, !inline_sampler},
                          {"kind", T::String, true, kSamplerKinds},
                          {"steps", T::PosInt, true},
                          {"guidance", T::Object}};
  // Kind-specific parameters are the keys of that kind's defaults.
  const json& defaults = suite_defaults()["sampler"];
  if (s.is_object() && s.contains("kind") && s["kind"].is_string() && defaults.contains(s["kind"].get<std::string>()))
    for (auto it = defaults[s["kind"].get<std::string>()].begin(); it != defaults[s["kind"].get<std::string>()].end(); ++it)
      f.push_back({it.key(), it.value().is_number_integer() ? T::PosInt : T::NonNegNumber});
  return f;
}

void check_sampler(Checker& c, const json& s, const std::string& path, bool inline_sampler) {
  if (!c.object(s, path, sampler_fields(s, inline_sampler))) return;
  if (s.contains("guidance")) c.object(s["guidance"], path + "/guidance", guidance_fields());
  if (s.contains("sigma_min") && s.contains("sigma_max") && s["sigma_min"].is_number() && s["sigma_max"].is_number() &&
      s["sigma_min"].get<double>() >= s["sigma_max"].get<double>())
    c.add(path + "/sigma_min", "expected less than sigma_max (" + s["sigma_max"].dump() + "), got " + s["sigma_min"].dump());
}

// The model's config object, read from its file when given as a path (null when unreadable).
json model_config(Checker& c, const json& m, const std::string& path) {
  if (!m.contains("config")) return nullptr;
  if (m["config"].is_object()) return m["config"];
  if (!m["config"].is_string()) return nullptr;
  std::string resolved = c.suite_.resolve(m["config"]);
  if (!file_exists(resolved)) return nullptr;
  try {
    return read_json_file(resolved);
  } catch (const Error& e) {
    c.add(path + "/config", e.what());
  }
  return nullptr;
}

void check_model(Checker& c, const json& m, const std::string& path, const std::vector<std::string>& datasets) {
  std::vector<Field> fields = {{"name", T::String, true}, {"config", T::Config}, {"weights", T::String},
                               {"random_init", T::NonNegInt}, {"images", T::String}, {"guidance", T::Object},
                               {"vae", T::Object}, {"quantize", T::String, false, {"round", "truncate"}}, {"class_label", T::NonNegInt},
                               {"hint", T::String}, {"obtain", T::String}, {"description", T::String}};
  if (!c.object(m, path, fields)) return;
  if (m.contains("guidance")) c.object(m["guidance"], path + "/guidance", guidance_fields());
  if (m.contains("vae") && c.object(m["vae"], path + "/vae", {{"config", T::Config, true}, {"weights", T::String},
                                                              {"random_init", T::NonNegInt}, {"hint", T::String},
                                                              {"obtain", T::String}})) {
    const json& v = m["vae"];
    if (v.contains("weights") == v.contains("random_init"))
      c.add(path + "/vae", "needs exactly one of \"weights\" (a checkpoint file) or \"random_init\" (a seed)");
    c.file(v, "config", path + "/vae/config");
    c.file(v, "weights", path + "/vae/weights");
  }
  if (m.contains("images")) {
    c.ref(m["images"], datasets, "dataset", path + "/images");
    for (const char* k : {"config", "weights", "random_init", "guidance", "vae", "quantize", "class_label"})
      if (m.contains(k)) c.add(path + "/" + k, "not allowed with \"images\" (a model that replays a dataset)");
    return;
  }
  if (!m.contains("config")) c.add(path, "missing required key \"config\" (or \"images\" to replay a dataset)");
  if (m.contains("weights") && m.contains("random_init"))
    c.add(path + "/random_init", "not allowed together with \"weights\"");
  else if (!m.contains("weights") && !m.contains("random_init"))
    c.add(path, "needs \"weights\" (a checkpoint file) or \"random_init\" (a seed)");
  c.file(m, "config", path + "/config");
  c.file(m, "weights", path + "/weights");

  json config = model_config(c, m, path);
  if (!config.is_object()) return;
  std::string arch = config.contains("arch") && config["arch"].is_string() ? config["arch"].get<std::string>() : "";
  bool guided = std::find(kGuidedArchs.begin(), kGuidedArchs.end(), arch) != kGuidedArchs.end() ||
                (config.contains("class_dropout_prob") && config["class_dropout_prob"].is_number() &&
                 config["class_dropout_prob"].get<double>() > 0);
  bool has = m.contains("guidance") || (config.contains("guidance") && config["guidance"].is_object());
  if (guided && !has)
    c.add(path, "model \"" + m.value("name", std::string()) + "\" (arch \"" + arch +
                    "\") uses classifier-free guidance: give \"guidance\": {\"scale\", \"channels\", \"schedule\"} "
                    "(published: DiT-XL/2 1.5 first3 constant; DiffiT-256 4.4 first3 power_cosine; DiffiT-512 1.49 first3 constant)");
}

void check_metrics(Checker& c, const json& m, const std::string& path, const std::vector<std::string>& datasets) {
  std::vector<Field> fields = {{"name", T::String, true}, {"compute", T::Names, true}, {"num_samples", T::PosInt},
                               {"reference", T::String}, {"reference_stats", T::String},
                               {"protocol", T::String, false, kProtocols}, {"inception", T::String},
                               {"kid", T::Object}, {"pr", T::Object}, {"is", T::Object},
                               {"hint", T::String}, {"obtain", T::String}, {"description", T::String}};
  if (!c.object(m, path, fields)) return;
  if (m.contains("compute") && m["compute"].is_array()) {
    std::set<std::string> seen;
    for (size_t i = 0; i < m["compute"].size(); ++i) {
      const json& v = m["compute"][i];
      if (!v.is_string()) continue;
      c.check(v, {"", T::String, false, kMetricNames}, path + "/compute/" + std::to_string(i));
      if (!seen.insert(v.get<std::string>()).second)
        c.add(path + "/compute/" + std::to_string(i), "duplicate metric " + shown(v));
    }
  }
  if (m.contains("reference")) c.ref(m["reference"], datasets, "dataset", path + "/reference");
  if (m.contains("kid"))
    c.object(m["kid"], path + "/kid", {{"subsets", T::PosInt}, {"subset_size", T::PosInt}, {"seed", T::NonNegInt}});
  if (m.contains("pr")) c.object(m["pr"], path + "/pr", {{"k", T::PosInt}});
  if (m.contains("is")) c.object(m["is"], path + "/is", {{"splits", T::PosInt}});
  if (c.ok_string(m, "inception")) {
    std::string inc = m["inception"];
    if (is_random_inception(inc)) {
      const std::string seed = inc.substr(7);
      if (seed.empty() || !std::all_of(seed.begin(), seed.end(), ::isdigit))
        c.add(path + "/inception", "expected a weights file or \"random:SEED\", got " + shown(m["inception"]));
    } else {
      c.file(m, "inception", path + "/inception");
    }
  }
  // The holder's "obtain" is about the Inception; a stats file that is also a dataset is reported there.
  bool is_dataset = false;
  const json& root = c.suite_.json;
  if (c.ok_string(m, "reference_stats") && root.contains("datasets") && root["datasets"].is_array())
    for (const auto& d : root["datasets"])
      is_dataset |= c.ok_string(d, "source") && c.suite_.resolve(d["source"]) == c.suite_.resolve(m["reference_stats"]);
  if (!is_dataset) c.file(m, "reference_stats", path + "/reference_stats", false);
}

size_t seed_count(const json& spec) {
  try {
    return parse_seeds(spec, "").size();
  } catch (const Error&) {
    return 0;
  }
}

// Cross-checks of one matrix block or explicit run: names resolve, samplers present when needed,
// and the seeds cover each metric set's sample count.
struct Sections {
  std::vector<std::string> datasets, models, samplers, metrics;
};

void check_runs_block(Checker& c, const json& suite, const json& block, const std::string& path,
                      const Sections& s, bool matrix) {
  std::vector<Field> fields = matrix
      ? std::vector<Field>{{"models", T::Names, true}, {"samplers", T::Names}, {"steps", T::PosIntList},
                           {"guidance", T::NumberList}, {"datasets", T::Names, true}, {"metrics", T::Names, true},
                           {"seeds", T::Seeds}}
      : std::vector<Field>{{"model", T::String, true}, {"sampler", T::SamplerRef}, {"steps", T::PosInt},
                           {"guidance", T::NonNegNumber}, {"dataset", T::String, true},
                           {"metrics", T::String, true}, {"seeds", T::Seeds}};
  if (!c.object(block, path, fields)) return;
  auto list = [&](const char* plural, const char* singular) {
    std::vector<std::pair<json, std::string>> out;
    const char* key = matrix ? plural : singular;
    if (!block.contains(key)) return out;
    if (matrix) {
      if (block[key].is_array())
        for (size_t i = 0; i < block[key].size(); ++i) out.push_back({block[key][i], path + "/" + key + "/" + std::to_string(i)});
    } else {
      out.push_back({block[key], path + "/" + key});
    }
    return out;
  };
  bool any_generator = false, any_images = false;
  for (auto& [v, p] : list("models", "model")) {
    int i = c.ref(v, s.models, "model", p);
    if (i < 0) continue;
    (suite["models"][i].contains("images") ? any_images : any_generator) = true;
  }
  std::string sampler_key = matrix ? "samplers" : "sampler";
  if (any_generator && !block.contains(sampler_key))
    c.add(path, "missing required key \"" + sampler_key + "\" (the block has a generator model)");
  if (!matrix && any_images && block.contains("sampler"))
    c.add(path + "/sampler", "not used with an \"images\" model (it replays a dataset)");
  if (!matrix && block.contains("sampler") && block["sampler"].is_object())
    check_sampler(c, block["sampler"], path + "/sampler", true);
  else
    for (auto& [v, p] : list("samplers", "sampler")) c.ref(v, s.samplers, "sampler", p);
  for (auto& [v, p] : list("datasets", "dataset")) c.ref(v, s.datasets, "dataset", p);

  const json& seeds = block.contains("seeds") ? block["seeds"] : suite.contains("seeds") ? suite["seeds"] : suite_defaults()["seeds"];
  std::string seeds_path = block.contains("seeds") ? path + "/seeds" : suite.contains("seeds") ? "/seeds" : "the default seeds";
  size_t n_seeds = seed_count(seeds);
  for (auto& [v, p] : list("metrics", "metrics")) {
    int i = c.ref(v, s.metrics, "metric set", p);
    if (i < 0 || n_seeds == 0) continue;
    const json& m = suite["metrics"][i];
    int64_t need = m.contains("num_samples") && is_int(m["num_samples"]) ? m["num_samples"].get<int64_t>()
                                                                         : suite_defaults()["metrics"]["num_samples"].get<int64_t>();
    if (any_generator && static_cast<int64_t>(n_seeds) < need)
      c.add(p, "metric set \"" + v.get<std::string>() + "\" needs " + std::to_string(need) + " samples but " +
                   seeds_path + " gives " + std::to_string(n_seeds) + " seeds");
  }
}

}  // namespace

std::vector<SuiteProblem> validate_suite(const Suite& suite, const ValidateOptions& options) {
  Checker c(suite, options);
  const json& j = suite.json;
  if (j.is_object() && j.contains("name") && j["name"].is_string()) {
    // The name is the results folder: a plain file name, so a suite cannot write outside --results.
    const std::string n = j["name"];
    if (n.empty() || n == "." || n == ".." || !has_name_chars(n)) c.add("/name", "expected a name of letters, digits, '-', '_' or '.' (it names the results folder), got " + shown(j["name"]));
  }
  std::vector<Field> top = {{"name", T::String, true}, {"description", T::String}, {"root", T::String},
                            {"datasets", T::Object, true}, {"models", T::Object, true}, {"samplers", T::Object},
                            {"metrics", T::Object, true}, {"matrix", T::Object}, {"runs", T::Object},
                            {"seeds", T::Seeds}, {"device", T::String}, {"threads", T::NonNegInt},
                            {"batch_size", T::PosInt}, {"chunk_size", T::PosInt}, {"keep_images", T::Bool},
                            {"grid", T::NonNegInt}, {"profile", T::Object},
                            {"precision", T::String, false, {"fp32", "bf16", "fp16"}}, {"tf32", T::Bool}};
  // Sections are arrays; their type is checked here rather than as fields above.
  json shallow = j;
  if (j.is_object())
    for (const char* k : {"datasets", "models", "samplers", "metrics", "matrix", "runs"})
      if (j.contains(k)) {
        if (!j[k].is_array()) c.add(std::string("/") + k, "expected an array, got " + shown(j[k]));
        shallow[k] = json::object();
      }
  if (!c.object(shallow, "", top)) return c.problems;
  auto section = [&](const char* k) { return j.contains(k) && j[k].is_array() ? j[k] : json::array(); };
  if (j.contains("profile"))
    c.object(j["profile"], "/profile", {{"batches", T::PosInt}, {"repeats", T::PosInt}, {"warmup", T::NonNegInt},
                                        {"batch_sizes", T::PosIntList}});

  Sections s;
  s.datasets = c.names(section("datasets"), "/datasets");
  s.models = c.names(section("models"), "/models");
  s.samplers = c.names(section("samplers"), "/samplers");
  s.metrics = c.names(section("metrics"), "/metrics");

  json datasets = section("datasets");
  for (size_t i = 0; i < datasets.size(); ++i) {
    std::string p = "/datasets/" + std::to_string(i);
    if (!c.object(datasets[i], p, {{"name", T::String, true}, {"source", T::String, true},
                                   {"split", T::String, false, kSplits}, {"resolution", T::PosInt, true}, {"limit", T::PosInt},
                                   {"hint", T::String}, {"obtain", T::String}, {"description", T::String}}))
      continue;
    c.file(datasets[i], "source", p + "/source");
  }
  json models = section("models");
  for (size_t i = 0; i < models.size(); ++i) check_model(c, models[i], "/models/" + std::to_string(i), s.datasets);
  json samplers = section("samplers");
  for (size_t i = 0; i < samplers.size(); ++i) check_sampler(c, samplers[i], "/samplers/" + std::to_string(i), false);
  json metrics = section("metrics");
  for (size_t i = 0; i < metrics.size(); ++i) check_metrics(c, metrics[i], "/metrics/" + std::to_string(i), s.datasets);

  json matrix = section("matrix"), runs = section("runs");
  for (size_t i = 0; i < matrix.size(); ++i)
    check_runs_block(c, j, matrix[i], "/matrix/" + std::to_string(i), s, true);
  for (size_t i = 0; i < runs.size(); ++i)
    check_runs_block(c, j, runs[i], "/runs/" + std::to_string(i), s, false);
  if (matrix.empty() && runs.empty()) c.add("", "no runs: give \"matrix\" or \"runs\" (or both)");

  // Only a schema-clean suite can be expanded; then no two entries may describe the same run.
  bool schema_ok = std::all_of(c.problems.begin(), c.problems.end(), [](const SuiteProblem& p) { return p.missing_file; });
  if (schema_ok) {
    std::map<std::string, std::string> seen;
    for (const auto& run : expand(suite)) {
      std::string origin = run.entry.value("origin", std::string());
      if (seen.count(run.id))
        c.add(origin, "run \"" + run.id + "\" is already defined by " + seen[run.id]);
      else
        seen[run.id] = origin;
    }
  }
  return c.problems;
}

}  // namespace diffbench
