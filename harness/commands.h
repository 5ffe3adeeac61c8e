// The diffbench verbs. Each takes the arguments after the verb and returns the exit code.
// To add a verb: declare it here and add one row to the table in harness/commands.cpp.
#pragma once
#include <string>
#include <vector>

namespace diffbench {

using CommandArgs = std::vector<std::string>;

struct CommandInfo {
  const char* name;
  const char* summary;
  int (*run)(const CommandArgs&);
};
const std::vector<CommandInfo>& all_commands();

int cmd_info(const CommandArgs&);      // harness/cmd_info.cpp
int cmd_train(const CommandArgs&);     // harness/cmd_train.cpp
int cmd_stats(const CommandArgs&);     // harness/cmd_metrics.cpp
int cmd_fid(const CommandArgs&);       // harness/cmd_metrics.cpp
int cmd_metrics(const CommandArgs&);   // harness/cmd_metrics.cpp
int cmd_forward(const CommandArgs&);   // harness/cmd_models.cpp
int cmd_sample(const CommandArgs&);    // harness/cmd_models.cpp
int cmd_models(const CommandArgs&);    // harness/cmd_models.cpp
int cmd_profile(const CommandArgs&);   // harness/cmd_profile.cpp
int cmd_run(const CommandArgs&);       // harness/cmd_run.cpp
int cmd_merge(const CommandArgs&);     // harness/cmd_run.cpp
int cmd_validate(const CommandArgs&);  // harness/cmd_validate.cpp
int cmd_compare(const CommandArgs&);   // harness/cmd_compare.cpp
int cmd_table(const CommandArgs&);     // harness/cmd_table.cpp
int cmd_plot(const CommandArgs&);      // harness/cmd_plot.cpp
int cmd_features(const CommandArgs&);  // harness/cmd_features.cpp
// harness verbs: run, merge, profile, compare, table, plot, train

}  // namespace diffbench
