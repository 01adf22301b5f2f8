#include "editor/TitleEdit.h"

#include <QKeyEvent>

namespace ml::gui {

TitleEdit::TitleEdit(const QString& text, std::function<void(const QString&)> commit, QWidget* parent)
    : QLineEdit(text, parent), m_commit(std::move(commit)) {
    setObjectName(QStringLiteral("titleEditor"));
    setToolTip(tr("Return renames (the name is the state_dict() prefix); Escape keeps the old name."));
    selectAll();
}

void TitleEdit::finish(bool commit) {
    if (m_done) return;
    m_done = true;
    hide();
    const QString text = this->text().trimmed();
    deleteLater();
    if (commit && m_commit) m_commit(text);
}

void TitleEdit::keyPressEvent(QKeyEvent* event) {
    const bool enter = event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter;
    if (enter || event->key() == Qt::Key_Escape) {
        finish(enter);
        if (parentWidget())
            parentWidget()->setFocus(Qt::OtherFocusReason); // the keys act on the canvas again
        return;
    }
    QLineEdit::keyPressEvent(event);
}

void TitleEdit::focusOutEvent(QFocusEvent* event) {
    QLineEdit::focusOutEvent(event);
    if (isVisible()) finish(true);
}

} // namespace ml::gui
