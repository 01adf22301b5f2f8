#include "training/PlotTheme.h"

#include "editor/Theme.h"
#include "training/QCustomPlotInclude.h"

namespace ml::gui {

QColor plotText() { return Theme::current().dark ? Theme::current().text : QColor(Qt::black); }
QColor plotMuted() { return Theme::current().dark ? Theme::current().mutedText : QColor(Qt::gray); }

void applyPlotTheme(QCustomPlot* plot) {
    const bool dark = Theme::current().dark;
    const QColor background = dark ? QColor(0x22, 0x24, 0x28) : QColor(Qt::white);
    const QColor text = plotText();
    const QColor grid = dark ? QColor(255, 255, 255, 38) : QColor(200, 200, 200);
    plot->setBackground(background);
    for (QCPAxis* a : plot->axisRect()->axes()) {
        a->setBasePen(QPen(text, 0));
        a->setTickPen(QPen(text, 0));
        a->setSubTickPen(QPen(text, 0));
        a->setTickLabelColor(text);
        a->setLabelColor(text);
        a->grid()->setPen(QPen(grid, 0, Qt::DotLine));
        a->grid()->setZeroLinePen(QPen(grid.lighter(dark ? 180 : 80), 0));
    }
    QColor legendBack = background;
    legendBack.setAlpha(170);
    plot->legend->setBrush(legendBack);
    QColor border = text;
    border.setAlpha(60);
    plot->legend->setBorderPen(QPen(border));
    plot->legend->setTextColor(text);
    for (int i = 0; i < plot->legend->itemCount(); ++i)
        if (auto* item = qobject_cast<QCPPlottableLegendItem*>(plot->legend->item(i)))
            item->setTextColor(item->plottable()->visible() ? text : plotMuted());
    for (int i = 0; i < plot->plotLayout()->elementCount(); ++i)
        if (auto* title = qobject_cast<QCPTextElement*>(plot->plotLayout()->elementAt(i))) title->setTextColor(text);
    plot->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace ml::gui
