#pragma once
// Finds a menu bar item by the path a person clicks through, e.g.
// "File/Examples/simple_cnn.json" (mnemonic '&'s ignored), for the
// command line's --menu and the install test.
#include <QString>

class QAction;
class QMenuBar;

namespace ml::gui {

// nullptr when some step is missing; then *error names the step and what
// that menu does hold.
QAction* findMenuAction(const QMenuBar* bar, const QString& path, QString* error);

} // namespace ml::gui
