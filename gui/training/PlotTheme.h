#pragma once
// The training plots in the window's theme (Theme::current()): background,
// axes, grid, legend and titles; dark plots in the dark theme.
#include <QColor>

class QCustomPlot;

namespace ml::gui {

QColor plotText();  // axis labels, titles, legend entries shown
QColor plotMuted(); // legend entries of hidden curves
void applyPlotTheme(QCustomPlot* plot);

} // namespace ml::gui
