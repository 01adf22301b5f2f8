#include "code/CodePanel.h"

#include "editor/Editor.h"
#include "editor/EditorScene.h"
#include "editor/GraphModel.h"
#include "io/PyTorchExport.h"

#include "io/ModelJson.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollBar>
#include <QVBoxLayout>
#include <QMouseEvent>
#include <QTextBlock>

namespace ml::gui {

CodePanel::CodePanel(Editor* editor, QWidget* parent) : QPlainTextEdit(parent), m_editor(editor) {
    setReadOnly(true);
    setObjectName(QStringLiteral("codePanel"));
    setLineWrapMode(QPlainTextEdit::NoWrap);
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    connect(editor->model(), &GraphModel::documentChanged, this, &CodePanel::regenerate);
    connect(editor->scene(), &QGraphicsScene::selectionChanged, this, &CodePanel::highlightSelection);
    connect(editor, &Editor::levelsChanged, this, &CodePanel::highlightSelection);
    connect(verticalScrollBar(), &QScrollBar::actionTriggered, this, [this] { m_readerScrolled = true; });
    regenerate();
}

QString CodePanel::exportWithPreview(Editor* editor, const QString& sourcePath, QWidget* parent) {
    const GraphModel* model = editor->model();
    const QString source = sourcePath.isEmpty() ? QString::fromStdString(model->document().model) + ".json"
                                                : QFileInfo(sourcePath).fileName();
    io::PyTorchCode code;
    try {
        code = io::exportPyTorch(model->document(), model->analysis(), source.toStdString());
    } catch (const std::exception& e) {
        QMessageBox::warning(parent, tr("Export to PyTorch"), QString::fromUtf8(e.what()));
        return {};
    }
    QDialog dialog(parent);
    dialog.setObjectName(QStringLiteral("pytorchExportDialog"));
    dialog.setWindowTitle(tr("Export to PyTorch"));
    auto* text = new QPlainTextEdit(QString::fromStdString(code.text), &dialog);
    text->setReadOnly(true);
    text->setLineWrapMode(QPlainTextEdit::NoWrap);
    text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, &dialog);
    auto* layout = new QVBoxLayout(&dialog);
    layout->addWidget(text);
    layout->addWidget(buttons);
    dialog.resize(720, 640);
    QObject::connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    if (dialog.exec() != QDialog::Accepted) return {};
    const QString suggested = sourcePath.isEmpty() ? QStringLiteral("model.py")
                                                   : QFileInfo(sourcePath).dir().filePath(QFileInfo(sourcePath).completeBaseName() + ".py");
    const QString path = QFileDialog::getSaveFileName(parent, tr("Export to PyTorch"), suggested, tr("Python (*.py)"));
    if (path.isEmpty()) return {};
    try {
        io::writeFileAtomically(path.toStdString(), code.text);
    } catch (const std::exception& e) {
        QMessageBox::warning(parent, tr("Export to PyTorch"), QString::fromUtf8(e.what()));
        return {};
    }
    return path;
}

void CodePanel::regenerate() {
    m_spans.clear();
    const GraphModel* model = m_editor->model();
    try {
        const io::PyTorchCode code =
            io::exportPyTorch(model->document(), model->analysis(), model->document().model + ".json");
        for (const io::CodeSpan& s : code.spans)
            m_spans.push_back({QString::fromStdString(s.definition),
                               QString::fromStdString(s.node.empty() ? s.child : s.node), s.firstLine, s.lastLine});
        const int scroll = verticalScrollBar()->value();
        setPlainText(QString::fromStdString(code.text));
        // Not scrolled yet: open at the model's classes, past the header,
        // imports and the safetensors helpers every file carries.
        int firstClass = 0;
        for (QTextBlock b = document()->begin(); b.isValid(); b = b.next())
            if (b.text().startsWith(QLatin1String("class "))) {
                firstClass = b.blockNumber();
                break;
            }
        m_firstClass = firstClass;
        verticalScrollBar()->setValue(m_readerScrolled ? scroll : firstClass);
    } catch (const std::exception& e) {
        setPlainText(tr("# No PyTorch code while the model cannot be exported:\n# %1").arg(QString::fromUtf8(e.what())));
    }
    highlightSelection();
}

void CodePanel::resizeEvent(QResizeEvent* event) {
    QPlainTextEdit::resizeEvent(event);
    if (!m_readerScrolled) verticalScrollBar()->setValue(m_firstClass);
}

QSize CodePanel::sizeHint() const {
    // PEP 8's 79 columns and a class's worth of lines, with the frame and scroll bar.
    const QFontMetrics m(font());
    const int extra = 2 * frameWidth() + verticalScrollBar()->sizeHint().width() + 8;
    return {m.horizontalAdvance(QLatin1Char('x')) * 84 + extra, m.lineSpacing() * 30 + extra};
}

void CodePanel::highlightSelection() {
    m_highlighted.clear();
    const QString definition = m_editor->definitionName();
    const QStringList keys = m_editor->scene()->selectedKeys();
    QList<QTextEdit::ExtraSelection> marks;
    const QColor colour = palette().color(QPalette::Highlight).lighter(150);
    for (const Span& s : m_spans) {
        if (s.definition != definition || !keys.contains(s.key)) continue;
        for (int line = s.first; line <= s.last; ++line) {
            QTextEdit::ExtraSelection mark;
            mark.format.setBackground(colour);
            mark.format.setProperty(QTextFormat::FullWidthSelection, true);
            mark.cursor = QTextCursor(document()->findBlockByNumber(line - 1));
            marks.push_back(mark);
            m_highlighted.push_back(line);
        }
        if (m_highlighted.size() == s.last - s.first + 1) {
            QTextCursor c(document()->findBlockByNumber(s.first - 1));
            setTextCursor(c);
            ensureCursorVisible();
            m_readerScrolled = true; // the selection's lines chose the view
        }
    }
    setExtraSelections(marks);
}

void CodePanel::mouseReleaseEvent(QMouseEvent* event) {
    QPlainTextEdit::mouseReleaseEvent(event);
    const int line = cursorForPosition(event->position().toPoint()).blockNumber() + 1;
    const QString definition = m_editor->definitionName();
    for (const Span& s : m_spans)
        if (s.definition == definition && line >= s.first && line <= s.last && m_editor->scene()->nodeItem(s.key)) {
            m_editor->scene()->selectKeys({s.key});
            return;
        }
}

} // namespace ml::gui
