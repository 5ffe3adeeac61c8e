#include "harness/args.h"

#include <cstdlib>
#include <iostream>
#include <sstream>

#include "common/error.h"

namespace diffbench {

Args::Args(std::string usage, std::string summary)
    : usage_(std::move(usage)), summary_(std::move(summary)) {
  flag("--help", "show this help and exit");
}

Args& Args::positional(const std::string& name, const std::string& help, bool required) {
  Spec s;
  s.name = name;
  s.help = help;
  s.required = required;
  s.positional = true;
  specs_.push_back(s);
  return *this;
}

Args& Args::option(const std::string& flag, const std::string& metavar, const std::string& help,
                   const std::string& default_value) {
  Spec s;
  s.name = flag;
  s.metavar = metavar;
  s.help = help;
  s.default_value = default_value;
  specs_.push_back(s);
  return *this;
}

Args& Args::required_option(const std::string& flag, const std::string& metavar,
                            const std::string& help) {
  option(flag, metavar, help);
  specs_.back().required = true;
  return *this;
}

Args& Args::flag(const std::string& flag, const std::string& help) {
  Spec s;
  s.name = flag;
  s.help = help;
  s.takes_value = false;
  specs_.push_back(s);
  return *this;
}

Args& Args::rest(const std::string& name, const std::string& help, bool at_least_one) {
  has_rest_ = true;
  rest_name_ = name;
  rest_help_ = help;
  rest_required_ = at_least_one;
  return *this;
}

void Args::usage_error(const std::string& message) const {
  std::cerr << "diffbench: error: " << message << "\nusage: " << usage_
            << "\n(run with --help for details)\n";
  std::exit(2);
}

std::string Args::help_text() const {
  std::ostringstream out;
  out << "usage: " << usage_ << "\n\n" << summary_ << "\n";
  bool any_positional = false;
  for (const auto& s : specs_) any_positional |= s.positional;
  if (any_positional || has_rest_) {
    out << "\narguments:\n";
    for (const auto& s : specs_)
      if (s.positional) out << "  " << s.name << std::string(s.name.size() < 22 ? 22 - s.name.size() : 1, ' ') << s.help << "\n";
    if (has_rest_) out << "  " << rest_name_ << "..." << std::string(rest_name_.size() < 19 ? 19 - rest_name_.size() : 1, ' ') << rest_help_ << "\n";
  }
  out << "\noptions:\n";
  for (const auto& s : specs_) {
    if (s.positional) continue;
    std::string left = s.name + (s.takes_value ? " " + s.metavar : "");
    out << "  " << left << std::string(left.size() < 22 ? 22 - left.size() : 1, ' ') << s.help;
    if (!s.default_value.empty()) out << " (default: " << s.default_value << ")";
    if (s.required) out << " (required)";
    out << "\n";
  }
  return out.str();
}

void Args::parse(const std::vector<std::string>& argv) {
  size_t next_positional = 0;
  std::vector<const Spec*> positionals;
  for (const auto& s : specs_)
    if (s.positional) positionals.push_back(&s);
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << help_text();
      std::exit(0);
    }
    if (arg.size() > 1 && arg[0] == '-' && !(arg.size() > 1 && std::isdigit(static_cast<unsigned char>(arg[1])))) {
      std::string name = arg, value;
      bool inline_value = false;
      auto eq = arg.find('=');
      if (eq != std::string::npos) {
        name = arg.substr(0, eq);
        value = arg.substr(eq + 1);
        inline_value = true;
      }
      const Spec* spec = nullptr;
      for (const auto& s : specs_)
        if (!s.positional && s.name == name) spec = &s;
      if (!spec) usage_error("unknown option " + name);
      if (spec->takes_value) {
        if (!inline_value) {
          if (i + 1 >= argv.size()) usage_error(name + " needs a value (" + spec->metavar + ")");
          value = argv[++i];
        }
        values_[name] = value;
      } else {
        if (inline_value) usage_error(name + " takes no value");
        values_[name] = "1";
      }
      continue;
    }
    if (next_positional < positionals.size()) {
      values_[positionals[next_positional++]->name] = arg;
    } else if (has_rest_) {
      rest_values_.push_back(arg);
    } else {
      usage_error("unexpected argument \"" + arg + "\"");
    }
  }
  for (const auto* p : positionals)
    if (p->required && !values_.count(p->name)) usage_error("missing argument " + p->name);
  if (has_rest_ && rest_required_ && rest_values_.empty()) usage_error("missing argument " + rest_name_);
  for (const auto& s : specs_)
    if (!s.positional && s.required && !values_.count(s.name)) usage_error("missing option " + s.name);
}

std::string Args::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it != values_.end()) return it->second;
  for (const auto& s : specs_)
    if (s.name == name) return s.default_value;
  return "";
}

bool Args::has(const std::string& name) const { return values_.count(name) > 0; }

int Args::get_int(const std::string& name) const {
  std::string v = get(name);
  try {
    size_t pos = 0;
    int x = std::stoi(v, &pos);
    if (pos == v.size()) return x;
  } catch (const std::exception&) {
  }
  fail(name + ": expected an integer, got \"" + v + "\"");
}

double Args::get_double(const std::string& name) const {
  std::string v = get(name);
  try {
    size_t pos = 0;
    double x = std::stod(v, &pos);
    if (pos == v.size()) return x;
  } catch (const std::exception&) {
  }
  fail(name + ": expected a number, got \"" + v + "\"");
}

}  // namespace diffbench
