#pragma once
// qcustomplot.h uses `signals:` and `foreach`, which QT_NO_KEYWORDS (our
// build) leaves undefined: name them for the header only.
#define signals Q_SIGNALS
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef foreach
#undef signals
