#include "app/MenuPath.h"

#include <QAction>
#include <QMenu>
#include <QMenuBar>
#include <QStringList>

namespace ml::gui {

namespace {
QString plainText(const QAction* a) { return QString(a->text()).remove(QLatin1Char('&')); }
} // namespace

QAction* findMenuAction(const QMenuBar* bar, const QString& path, QString* error) {
    const QStringList steps = path.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    QList<QAction*> actions = bar->actions();
    QString where = QStringLiteral("the menu bar");
    for (qsizetype i = 0; i < steps.size(); ++i) {
        QAction* found = nullptr;
        QStringList names;
        for (QAction* a : actions) {
            if (a->isSeparator()) continue;
            names << plainText(a);
            if (!found && plainText(a) == steps[i]) found = a;
        }
        if (!found) {
            *error = QStringLiteral("menu path '%1': no item '%2' in %3 (it has: %4)")
                         .arg(path, steps[i], where, names.isEmpty() ? QStringLiteral("nothing") : names.join(", "));
            return nullptr;
        }
        if (i + 1 == steps.size()) return found;
        if (!found->menu()) {
            *error = QStringLiteral("menu path '%1': '%2' is an item, not a menu").arg(path, steps[i]);
            return nullptr;
        }
        actions = found->menu()->actions();
        where = QStringLiteral("menu '%1'").arg(steps.mid(0, i + 1).join(QLatin1Char('/')));
    }
    *error = QStringLiteral("menu path '%1' is empty").arg(path);
    return nullptr;
}

} // namespace ml::gui
