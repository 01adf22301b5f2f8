#pragma once
// What can be added to a graph, for the palette dock and the search popup:
// the layer catalog, the containers, the ops and the document's blocks.
#include "model/Definition.h"

#include <QString>
#include <QStringList>
#include <vector>

namespace ml::gui {

struct PaletteEntry {
    QString id;       // "layer:Linear", "op:add", "container:Sequential", "block:ResidualBlock", "block:+"
    QString label;    // the layer type, op, container or block name
    QString category; // a layer category (layerCategories()), Containers, Ops or Blocks
    QString summary;  // one sentence
};

std::vector<PaletteEntry> paletteEntries(const ModelDocument& doc);
// Entries matching `text`: exact, then prefix, word start, substring; `recent` first within a rank.
std::vector<PaletteEntry> searchEntries(const std::vector<PaletteEntry>& all, const QString& text,
                                        const QStringList& recent = {});

inline constexpr const char* kPaletteMime = "application/x-modulelab-palette";

} // namespace ml::gui
