#pragma once
// Where the program's read-only data (examples/, schema/) lives: at a fixed
// place relative to the program, the same in the build tree and in an
// install (<bindir>/../share/modulelab for the usual GNUInstallDirs; CMake
// passes the relative path), so no absolute build path is compiled in.
#include <QString>

namespace ml::gui {

// Absolute and clean; it may not exist (a program copied elsewhere alone).
QString dataDir();
// dataDir() + "/" + relative.
QString dataPath(const QString& relative);

} // namespace ml::gui
