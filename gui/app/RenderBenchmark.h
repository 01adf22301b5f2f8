#pragma once
// The canvas render benchmark (not a test): generated graphs of n nodes,
// fitted to a 1600x1000 view, a scripted pan and zoom, median frame time.
#include <cstdio>
#include <vector>

namespace ml::gui {

// Prints one line per size; returns 0.
int runRenderBenchmark(const std::vector<int>& sizes, std::FILE* out);

} // namespace ml::gui
