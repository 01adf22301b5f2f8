#pragma once
// Moving items: positions only (no re-analysis). Consecutive moves of the
// drag (same serial) merge, so a drag undoes at once.
#include <QPointF>
#include <QString>
#include <QUndoCommand>

#include <map>

namespace ml::gui {

class GraphModel;

class MoveCommand : public QUndoCommand {
public:
    MoveCommand(GraphModel* model, QString definition, std::map<QString, QPointF> before,
                 std::map<QString, QPointF> after, int serial);
    void undo() override;
    void redo() override;
    int id() const override { return 1; }
    bool mergeWith(const QUndoCommand* other) override;
    int serial() const { return m_serial; }
    const QString& definition() const { return m_definition; }
    const std::map<QString, QPointF>& after() const { return m_after; }

private:
    GraphModel* m_model;
    QString m_definition;
    std::map<QString, QPointF> m_before;
    std::map<QString, QPointF> m_after;
    int m_serial; // one drag: commands with the same serial merge
};

} // namespace ml::gui
