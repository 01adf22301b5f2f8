#pragma once
// The training-in-the-window benchmark (a command, not a test; run it under
// Xvfb): the model's own settings trained headless (what `modulelab-cli
// train` runs) and then from the window's Train action with the plots on
// screen, side by side; reports both step rates and the GUI thread's event
// latency (a 10 ms precise timer's lateness) at the 50th/99th percentile.
#include <QString>
#include <cstdio>

namespace ml::gui {

class MainWindow;

// maxSteps > 0 caps both runs; tab selects the plot tab shown (0 = Loss).
int runTrainingBenchmark(MainWindow& window, long long maxSteps, int tab, std::FILE* out);

} // namespace ml::gui
