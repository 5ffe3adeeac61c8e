// Small file helpers. Every output is written to a temporary file beside the target and renamed
// into place, so a crash never leaves a file that looks complete when it is not.
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace diffbench {

std::string read_file(const std::string& path);  // whole file; Error naming the file on failure
bool file_exists(const std::string& path);

// For commands that compute before they write (features, stats, forward): refuses, before any
// work, an empty path, a target that is not a regular file, one of the command's `inputs` (even
// with --force), or, unless replace is true, a file that exists ("<path>: already exists; pass
// --force to replace it"), as pytorch-fid's --save-stats does.
void check_output_file(const std::string& path, bool replace, const std::vector<std::string>& inputs = {});

// Writes bytes atomically (temp + fsync + rename). Refuses to replace an existing file unless
// overwrite is true, with an Error naming it.
void write_file_atomic(const std::string& path, const std::string& bytes, bool overwrite = true);
// For writers that need a path (OpenCV, libzip): calls write(tmp_path), then renames it over path.
void write_via_temp(const std::string& path, const std::function<void(const std::string&)>& write,
                    bool overwrite = true);

}  // namespace diffbench
