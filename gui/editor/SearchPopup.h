#pragma once
// The add menu at the cursor (Tab, or double-click on the canvas): type to
// filter (exact, prefix, word, substring; recently used first), Enter adds.
#include "editor/PaletteEntries.h"

#include <QFrame>

class QLineEdit;
class QListWidget;

namespace ml::gui {

class SearchPopup : public QFrame {
    Q_OBJECT

public:
    SearchPopup(std::vector<PaletteEntry> entries, QStringList recent, QWidget* parent);
    void setFilter(const QString& text);
    QString currentEntry() const;
    QListWidget* list() const { return m_list; }

Q_SIGNALS:
    void chosen(const QString& entry);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    std::vector<PaletteEntry> m_entries;
    QStringList m_recent;
    QLineEdit* m_edit;
    QListWidget* m_list;
};

} // namespace ml::gui
