#include "editor/DocumentCommand.h"

#include "editor/GraphModel.h"

namespace ml::gui {

DocumentCommand::DocumentCommand(GraphModel* model, const QString& text, ModelDocument before, ModelDocument after)
    : QUndoCommand(text), m_model(model), m_before(std::move(before)), m_after(std::move(after)) {}

void DocumentCommand::undo() { m_model->setDocument(m_before); }
void DocumentCommand::redo() { m_model->setDocument(m_after); }

} // namespace ml::gui
