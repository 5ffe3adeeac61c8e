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
// metrics/ verbs (harness/cmd_metrics.cpp): features, stats, fid, metrics
// model verbs (harness/cmd_models.cpp): forward, sample, models
// harness verbs: run, merge, profile, compare, table, plot, train

}  // namespace diffbench
