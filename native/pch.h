// Precompiled header: LibTorch is by far the heaviest include of every translation unit.
#pragma once
#include <torch/torch.h>
#include <torch/version.h>
#include <napi.h>
#include <cstring>
#include <optional>
#include <string>
#include <vector>
