#pragma once
// The training-in-the-window benchmark (a command, not a test; run it under
// Xvfb): the model's own settings trained by `modulelab-cli train` (a
// separate process, as a person runs it) and from the window's Train action
// with the plots on screen, side by side. The CLI's training time is its run
// of N steps less its run of 1 step (both load the data and build the model,
// so loading cancels out); the window's is from Running to Idle (its data
// loads before). Reports both step rates, the GUI thread's event latency (a
// 10 ms precise timer's lateness) at the 50th/99th percentile, the GUI
// thread's CPU use and the plots' mean replot time.
#include <QString>
#include <cstdio>

namespace ml::gui {

class MainWindow;

// maxSteps > 0 caps the runs; tab selects the plot tab shown (0 = Loss);
// `repeats` pairs of runs, alternating, with the median reported.
int runTrainingBenchmark(MainWindow& window, long long maxSteps, int tab, int repeats, std::FILE* out);

} // namespace ml::gui
