#pragma once
// An edit of the model as one undo step: the document before and after.
// Whatever an edit touches (a wire, a group that makes a new definition),
// undo puts back exactly what was there, and redo what the edit made.
#include "model/Definition.h"

#include <QUndoCommand>

namespace ml::gui {

class GraphModel;

class DocumentCommand : public QUndoCommand {
public:
    DocumentCommand(GraphModel* model, const QString& text, ModelDocument before, ModelDocument after);
    void undo() override;
    void redo() override;
    // The state redo restores, when a follow-up that is no edit of its own
    // (placing a new node in sight) changed the document after the push.
    void setAfter(ModelDocument after) { m_after = std::move(after); }

private:
    GraphModel* m_model;
    ModelDocument m_before;
    ModelDocument m_after;
};

} // namespace ml::gui
