#pragma once
// The in-place name editor over a node's title (double-click on the title, or
// Rename in its menu): Return or leaving the field commits once, Escape cancels.
// A plain child widget of the canvas viewport, alive only while editing.
#include <QLineEdit>

#include <functional>

namespace ml::gui {

class TitleEdit : public QLineEdit {
  public:
    TitleEdit(const QString& text, std::function<void(const QString&)> commit, QWidget* parent);
    void finish(bool commit); // idempotent; the widget deletes itself

  protected:
    void keyPressEvent(QKeyEvent* event) override;
    void focusOutEvent(QFocusEvent* event) override;

  private:
    std::function<void(const QString&)> m_commit;
    bool m_done = false;
};

} // namespace ml::gui
