#include "editor/DiagnosticsView.h"

#include "editor/Editor.h"
#include "editor/Theme.h"

#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

namespace ml::gui {

DiagnosticsView::DiagnosticsView(Editor* editor, QWidget* parent) : QWidget(parent), m_editor(editor) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_list = new QListWidget(this);
    m_list->setWordWrap(true);
    m_fix = new QPushButton(tr("Apply suggested fix"), this);
    m_fix->setEnabled(false);
    layout->addWidget(m_list);
    layout->addWidget(m_fix);
    connect(m_list, &QListWidget::itemClicked, this, [this](QListWidgetItem* item) { activate(m_list->row(item)); });
    connect(m_list, &QListWidget::currentRowChanged, this, [this](int row) {
        const auto& ds = m_editor->model()->analysis().diagnostics;
        m_fix->setEnabled(row >= 0 && row < static_cast<int>(ds.size()) && m_editor->hasFix(ds[static_cast<size_t>(row)]));
    });
    connect(m_fix, &QPushButton::clicked, this, [this] {
        const int row = m_list->currentRow();
        const auto& ds = m_editor->model()->analysis().diagnostics;
        if (row >= 0 && row < static_cast<int>(ds.size())) {
            const Diagnostic d = ds[static_cast<size_t>(row)]; // the edit replaces the analysis
            m_editor->applyFix(d);
        }
    });
    connect(editor->model(), &GraphModel::documentChanged, this, &DiagnosticsView::rebuild);
    rebuild();
}

void DiagnosticsView::rebuild() {
    m_list->clear();
    const auto& ds = m_editor->model()->analysis().diagnostics;
    for (const Diagnostic& d : ds) {
        QString text = qs(d.path) + (d.where.empty() ? QString() : QStringLiteral(", ") + qs(d.where)) +
                       QStringLiteral(": ") + qs(d.message);
        if (!d.fixForEditor().empty()) text += QStringLiteral("\nFix: ") + qs(d.fixForEditor());
        auto* item = new QListWidgetItem(text, m_list);
        item->setForeground(d.isError() ? Theme::current().error : Theme::current().warning);
        item->setToolTip(qs(d.toEditorString()));
    }
    if (ds.empty()) {
        auto* item = new QListWidgetItem(tr("No problems: every shape is known."), m_list);
        item->setFlags(Qt::ItemIsEnabled);
    }
    m_fix->setEnabled(false);
}

void DiagnosticsView::activate(int row) {
    const auto& ds = m_editor->model()->analysis().diagnostics;
    if (row < 0 || row >= static_cast<int>(ds.size())) return;
    const Diagnostic d = ds[static_cast<size_t>(row)];
    m_editor->revealDiagnostic(d);
}

} // namespace ml::gui
