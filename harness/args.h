// Command-line parsing for the diffbench verbs: declared options, positionals, --help.
// Unknown flags and missing arguments end in one error line plus the usage (exit 2).
#pragma once
#include <map>
#include <string>
#include <vector>

namespace diffbench {

class Args {
 public:
  // `usage` is the first line ("diffbench fid A B --inception W [--protocol P]"),
  // `summary` one sentence of what the command does.
  Args(std::string usage, std::string summary);

  // Declarations (before parse). Options take a value; switches do not.
  Args& positional(const std::string& name, const std::string& help, bool required = true);
  Args& option(const std::string& flag, const std::string& metavar, const std::string& help,
               const std::string& default_value = "");
  Args& required_option(const std::string& flag, const std::string& metavar, const std::string& help);
  Args& flag(const std::string& flag, const std::string& help);
  // Extra positionals after the declared ones are collected (e.g. "RESULTS...").
  Args& rest(const std::string& name, const std::string& help, bool at_least_one = false);

  // Parses argv after the verb. On --help prints the help and exits 0; on a bad command line
  // prints "diffbench: error: <what>" and the usage line to stderr and exits 2.
  void parse(const std::vector<std::string>& argv);

  std::string get(const std::string& name) const;  // option or positional value ("" if unset)
  bool has(const std::string& name) const;          // given on the command line (or switch set)
  int get_int(const std::string& name) const;       // Error naming the flag if not an integer
  double get_double(const std::string& name) const;
  const std::vector<std::string>& rest_values() const { return rest_values_; }
  std::string help_text() const;

 private:
  struct Spec {
    std::string name, metavar, help, default_value;
    bool takes_value = true, required = false, positional = false;
  };
  [[noreturn]] void usage_error(const std::string& message) const;
  std::string usage_, summary_, rest_name_, rest_help_;
  bool has_rest_ = false, rest_required_ = false;
  std::vector<Spec> specs_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> rest_values_;
};

}  // namespace diffbench
