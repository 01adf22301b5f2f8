#pragma once
// Convolution test rows name the method they exercise by their tag's first
// word ("winograd ...", "direct ..."; any other tag means im2col), and check
// that the op takes it, so a change of the selection rules cannot quietly
// move a row off the path it was written for.
#include "ops/Conv2d.h"

#include <QByteArray>

inline ml::ops::Conv2dMethod conv2dMethodNamedBy(const char* tag) {
    const QByteArray t(tag);
    if (t.startsWith("winograd")) return ml::ops::Conv2dMethod::Winograd;
    if (t.startsWith("direct")) return ml::ops::Conv2dMethod::Direct;
    return ml::ops::Conv2dMethod::Im2col;
}
