#pragma once
// The Code panel: the open model as the PyTorch source `export pytorch`
// writes (io/PyTorchExport.h), regenerated on every edit. Selecting nodes on
// the canvas highlights the lines that define and call them; clicking a
// line selects its node.
#include <QPlainTextEdit>

namespace ml::gui {

class Editor;

class CodePanel : public QPlainTextEdit {
    Q_OBJECT
public:
    explicit CodePanel(Editor* editor, QWidget* parent = nullptr);
    // The source shown, or the reason the model cannot be exported.
    QString code() const { return toPlainText(); }
    // Lines (from 1) highlighted for the canvas selection.
    const QList<int>& highlightedLines() const { return m_highlighted; }
    QSize sizeHint() const override; // 84 columns, 30 lines: where a floated panel opens

    // File > Export > PyTorch: a preview of the file and a Save button.
    // Returns the path written, or "" when cancelled or refused.
    static QString exportWithPreview(Editor* editor, const QString& sourcePath, QWidget* parent);

public Q_SLOTS:
    void regenerate();
    void highlightSelection();

protected:
    void mouseReleaseEvent(QMouseEvent* event) override;
    // Until the reader scrolls, the view keeps opening at the first class
    // (a scroll set before the panel had its size was clamped to another height).
    void resizeEvent(QResizeEvent* event) override;

private:
    Editor* m_editor;
    struct Span {
        QString definition, key;
        int first, last;
    };
    QList<Span> m_spans;
    QList<int> m_highlighted;
    int m_firstClass = 0;  // block number of the first "class " line
    bool m_readerScrolled = false; // the scroll bar or the wheel moved the view
};

} // namespace ml::gui
