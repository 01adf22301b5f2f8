#pragma once
// Layered left-to-right layout of a definition's graph. Items that already
// have a position keep it; only items without one are placed (next to what
// feeds them, pushed down until they overlap nothing), on the grid.
#include "editor/GraphModel.h"

#include <QPointF>
#include <QSizeF>

#include <functional>
#include <map>

namespace ml::gui {

using SizeOf = std::function<QSizeF(const QString& key)>;

// Positions for the items of `definition` that have none.
std::map<QString, QPointF> layoutMissing(const GraphModel& model, const QString& definition, const SizeOf& sizeOf);
// Positions for every item, ignoring the ones stored ("tidy all").
std::map<QString, QPointF> layoutAll(const GraphModel& model, const QString& definition, const SizeOf& sizeOf);

} // namespace ml::gui
