#include "app/DataDir.h"

#include <QCoreApplication>
#include <QDir>

namespace ml::gui {

QString dataDir() {
    return QDir::cleanPath(QCoreApplication::applicationDirPath() + QStringLiteral("/" MODULELAB_DATA_FROM_BIN));
}

QString dataPath(const QString& relative) { return dataDir() + QLatin1Char('/') + relative; }

} // namespace ml::gui
