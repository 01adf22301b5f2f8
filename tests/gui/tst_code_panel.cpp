// The Code panel and File > Export > PyTorch, driven through the main window.
#include "app/MainWindow.h"
#include "code/CodePanel.h"
#include "editor/Editor.h"
#include "editor/EditorScene.h"

#include <QDockWidget>
#include <QStandardPaths>
#include <QTextBlock>
#include <QtTest>

using namespace ml;
using namespace ml::gui;

namespace {
const QString kExamples = QStringLiteral(MODULELAB_SOURCE_DIR "/resources/examples/");
}

class TestCodePanel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        // The default layout, not one a person's earlier session saved.
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("ModuleLabTest"));
    }

    void opensReadableAtTheModelsClasses() {
        MainWindow w;
        w.setPromptsEnabled(false);
        QVERIFY(w.openFile(kExamples + "siamese.json"));
        w.show();
        auto* dock = w.findChild<QDockWidget*>(QStringLiteral("codeDock"));
        dock->raise();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        auto* panel = w.findChild<CodePanel*>(QStringLiteral("codePanel"));
        const QFontMetrics m(panel->font());
        const QRect view = panel->viewport()->rect();
        // The bottom strip it shares with Training and Diagnostics is 30% of the
        // window (the canvas keeps the rest): 80 columns and 12 lines in it; floated it opens at 30.
        QVERIFY2(view.width() >= 80 * m.horizontalAdvance(QLatin1Char('x')) && view.height() >= 12 * m.lineSpacing(),
                 qPrintable(QStringLiteral("%1 x %2 px").arg(view.width()).arg(view.height())));
        // The model's class is in view, at most a few lines down, not the file's header.
        const int top = panel->cursorForPosition(QPoint(4, 4)).blockNumber();
        const int line = panel->code().left(panel->code().indexOf(QStringLiteral("class SiameseNetwork"))).count('\n');
        QVERIFY2(line >= top && line <= top + 4, qPrintable(QStringLiteral("class at line %1, view from %2").arg(line).arg(top)));
        // Floated, it opens at 84 columns and 30 lines.
        QCOMPARE(panel->sizeHint().height() >= 30 * m.lineSpacing(), true);
        if (qEnvironmentVariableIsSet("MODULELAB_SHOT")) w.grab().save(qEnvironmentVariable("MODULELAB_SHOT"));
    }

    void showsSelectsAndFollowsEdits() {
        MainWindow w;
        w.setPromptsEnabled(false);
        w.resize(1400, 900);
        QVERIFY(w.openFile(kExamples + "siamese.json"));
        auto* panel = w.findChild<CodePanel*>(QStringLiteral("codePanel"));
        QVERIFY(panel);
        QVERIFY(panel->code().contains(QStringLiteral("        eb = self.encoder(b)\n")));

        // A node selected on the canvas highlights its forward line.
        w.editor()->scene()->selectKeys({QStringLiteral("eb")});
        QCOMPARE(panel->highlightedLines().size(), 1);
        const int line = panel->highlightedLines().front();
        QCOMPARE(panel->document()->findBlockByNumber(line - 1).text(), QStringLiteral("        eb = self.encoder(b)"));

        // Clicking a line selects its node.
        w.show();
        w.findChild<QDockWidget*>(QStringLiteral("codeDock"))->raise();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        const int pair = panel->code().left(panel->code().indexOf(QStringLiteral("pair = torch.cat"))).count('\n');
        QTextCursor c(panel->document()->findBlockByNumber(pair));
        const QPoint at = panel->cursorRect(c).center() + QPoint(40, 0);
        QTest::mouseClick(panel->viewport(), Qt::LeftButton, {}, at);
        QCOMPARE(w.editor()->scene()->selectedKeys(), QStringList{QStringLiteral("pair")});

        // An edit regenerates the code: one undoable delete of the head call.
        QVERIFY(w.editor()->deleteItems({QStringLiteral("y")}));
        QVERIFY(panel->code().startsWith(QStringLiteral("# No PyTorch code while the model cannot be exported")));
        w.editor()->undoStack()->undo();
        QVERIFY(panel->code().contains(QStringLiteral("        y = self.head(pair)\n")));
    }
};

QTEST_MAIN(TestCodePanel)
#include "tst_code_panel.moc"
