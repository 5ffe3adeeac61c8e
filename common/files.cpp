#include "common/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "common/error.h"

namespace diffbench {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) fail(path + ": read error");
  return buffer.str();
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

static std::string temp_path_for(const std::string& path) {
  std::random_device rd;
  return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rd() % 1000000);
}

// A rename over a device or folder would replace it with a plain file (as root, /dev/null itself).
static void refuse_non_regular(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    fail(path + ": exists and is not a regular file; expected a file path to write");
}

void check_output_file(const std::string& path, bool replace, const std::vector<std::string>& inputs) {
  if (path.empty()) fail("--out: empty; expected a file path");
  struct stat out;
  if (::stat(path.c_str(), &out) == 0)
    for (const auto& input : inputs) {
      struct stat in;
      if (::stat(input.c_str(), &in) == 0 && in.st_dev == out.st_dev && in.st_ino == out.st_ino)
        fail(path + ": is the input " + input + "; expected a new file for the output");
    }
  refuse_non_regular(path);
  if (!replace && file_exists(path)) fail(path + ": already exists; pass --force to replace it");
}

static void commit_temp(const std::string& tmp, const std::string& path, bool overwrite) {
  if (!overwrite && file_exists(path)) {
    std::remove(tmp.c_str());
    fail(path + ": already exists; refusing to overwrite it");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    fail(path + ": cannot write: " + why);
  }
}

void write_file_atomic(const std::string& path, const std::string& bytes, bool overwrite) {
  refuse_non_regular(path);
  if (!overwrite && file_exists(path)) fail(path + ": already exists; refusing to overwrite it");
  std::string tmp = temp_path_for(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) fail(path + ": cannot write: " + std::strerror(errno));
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      std::string why = std::strerror(errno);
      ::close(fd);
      std::remove(tmp.c_str());
      fail(path + ": cannot write: " + why);
    }
    written += static_cast<size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  commit_temp(tmp, path, overwrite);
}

void write_via_temp(const std::string& path, const std::function<void(const std::string&)>& write,
                    bool overwrite) {
  refuse_non_regular(path);
  if (!overwrite && file_exists(path)) fail(path + ": already exists; refusing to overwrite it");
  std::string tmp = temp_path_for(path);
  try {
    write(tmp);
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  if (!file_exists(tmp)) fail(path + ": the writer produced no file");
  commit_temp(tmp, path, overwrite);
}

}  // namespace diffbench
