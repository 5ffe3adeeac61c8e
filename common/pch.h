// Precompiled header for every diffbench target: the LibTorch and standard headers that
// nearly every translation unit needs. Keep project headers out of it (they change often).
#pragma once
#include <torch/torch.h>
#include <nlohmann/json.hpp>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>
