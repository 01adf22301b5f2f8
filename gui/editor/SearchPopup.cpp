#include "editor/SearchPopup.h"

#include <QKeyEvent>
#include <QLineEdit>
#include <QListWidget>
#include <QVBoxLayout>

namespace ml::gui {

SearchPopup::SearchPopup(std::vector<PaletteEntry> entries, QStringList recent, QWidget* parent)
    : QFrame(parent, Qt::Popup), m_entries(std::move(entries)), m_recent(std::move(recent)) {
    setFrameShape(QFrame::StyledPanel);
    setAttribute(Qt::WA_DeleteOnClose);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_edit = new QLineEdit(this);
    m_edit->setPlaceholderText(tr("Add: type a layer, op or container..."));
    m_list = new QListWidget(this);
    layout->addWidget(m_edit);
    layout->addWidget(m_list);
    resize(300, 320);
    m_edit->installEventFilter(this);
    connect(m_edit, &QLineEdit::textChanged, this, &SearchPopup::setFilter);
    connect(m_list, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) {
        Q_EMIT chosen(item->data(Qt::UserRole).toString());
        close();
    });
    setFilter({});
    m_edit->setFocus();
}

void SearchPopup::setFilter(const QString& text) {
    if (m_edit->text() != text) m_edit->setText(text);
    m_list->clear();
    for (const PaletteEntry& e : searchEntries(m_entries, text, m_recent)) {
        auto* item = new QListWidgetItem(e.label + QStringLiteral("   (") + e.category + QLatin1Char(')'), m_list);
        item->setData(Qt::UserRole, e.id);
        item->setToolTip(e.summary);
    }
    m_list->setCurrentRow(0);
}

QString SearchPopup::currentEntry() const {
    const QListWidgetItem* item = m_list->currentItem();
    return item ? item->data(Qt::UserRole).toString() : QString();
}

bool SearchPopup::eventFilter(QObject* watched, QEvent* event) {
    if (watched == m_edit && event->type() == QEvent::KeyPress) {
        auto* k = static_cast<QKeyEvent*>(event);
        if (k->key() == Qt::Key_Down || k->key() == Qt::Key_Up) {
            const int row = m_list->currentRow() + (k->key() == Qt::Key_Down ? 1 : -1);
            if (row >= 0 && row < m_list->count()) m_list->setCurrentRow(row);
            return true;
        }
        if (k->key() == Qt::Key_Return || k->key() == Qt::Key_Enter) {
            const QString e = currentEntry();
            if (!e.isEmpty()) Q_EMIT chosen(e);
            close();
            return true;
        }
        if (k->key() == Qt::Key_Escape) {
            close();
            return true;
        }
    }
    return QFrame::eventFilter(watched, event);
}

} // namespace ml::gui
