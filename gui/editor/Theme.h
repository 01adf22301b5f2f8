#pragma once
// Colours of the canvas and the docks' accents; dark by default.
#include <QColor>

namespace ml::gui {

struct Theme {
    bool dark = true;
    QColor background, gridFine, gridCoarse;
    QColor nodeBody, nodeBorder, text, mutedText;
    QColor layerHeader, opHeader, ioHeader, blockHeader;
    QColor sequentialFrame, listFrame;
    QColor wire, indexWire, tensorPort, indexPort;
    QColor error, warning, shared, selection, compatible;
    QColor recentlyLeft; // the block just left, for a moment

    static Theme darkTheme();
    static Theme lightTheme();
    static const Theme& current();
    static void setCurrent(const Theme& theme);
};

} // namespace ml::gui
