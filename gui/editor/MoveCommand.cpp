#include "editor/MoveCommand.h"

#include "editor/GraphModel.h"

namespace ml::gui {

MoveCommand::MoveCommand(GraphModel* model, QString definition, std::map<QString, QPointF> before,
                         std::map<QString, QPointF> after, int serial)
    : QUndoCommand(QObject::tr("Move")), m_model(model), m_definition(std::move(definition)),
      m_before(std::move(before)), m_after(std::move(after)), m_serial(serial) {}

void MoveCommand::undo() { m_model->setPositions(m_definition, m_before); }
void MoveCommand::redo() { m_model->setPositions(m_definition, m_after); }

bool MoveCommand::mergeWith(const QUndoCommand* other) {
    const auto* o = static_cast<const MoveCommand*>(other);
    if (o->m_serial != m_serial || o->m_definition != m_definition || o->m_after.size() != m_after.size()) return false;
    for (const auto& [key, p] : o->m_after)
        if (!m_after.count(key)) return false;
    m_after = o->m_after; // keep our m_before: the start of the drag
    return true;
}

} // namespace ml::gui
