#pragma once
// The editor's entry points: every gesture (mouse, keyboard, menu, dock)
// and every GUI test goes through these. Each edit runs a GraphEdits
// function on a copy of the document and pushes a DocumentCommand, so it
// undoes in one step; a refused edit changes nothing and says why through
// message(). Also keeps which definition is shown (the breadcrumb).
#include "editor/GraphModel.h"
#include "editor/PaletteEntries.h"

#include <QObject>
#include <QUndoStack>

#include <functional>
#include <map>

namespace ml::gui {

class EditorScene;

struct ViewLevel {
    QString definition;
    QString instancePath; // "" for the model itself
    QString enteredFrom;  // node id in the parent level that opened this one
};

class Editor : public QObject {
    Q_OBJECT

public:
    explicit Editor(QObject* parent = nullptr);

    GraphModel* model() const { return m_model; }
    QUndoStack* undoStack() const { return m_undo; }
    EditorScene* scene() const { return m_scene; }
    QString definitionName() const;
    const std::vector<ViewLevel>& levels() const { return m_levels; }

    // --- files --------------------------------------------------------------
    // Replaces the document; on failure returns false, sets *error to the
    // engine's message and changes nothing.
    bool loadFile(const QString& path, QString* error);
    bool saveFile(const QString& path, QString* error);
    void newDocument();
    void setDocument(ModelDocument doc); // no undo: a fresh start

    // --- navigation ---------------------------------------------------------
    bool enterNode(const QString& nodeId); // opens a block call
    void goToLevel(int level);             // 0 = the model
    void goUp();
    // Shows the diagnostic's place and selects its node.
    void revealDiagnostic(const Diagnostic& d);

    // --- edits (each one undo step) -------------------------------------------
    // entry: "layer:Linear", "op:add", "container:Sequential", "block:Name", "block:+" (a new block)
    QString addFromPalette(const QString& entry, QPointF pos);
    // Adds the entry as a new item of the Sequential/ModuleList node `containerNode`.
    bool addIntoContainer(const QString& entry, const QString& containerNode);
    QString wireProblem(const PortRef& from, const PortRef& to) const; // "" if allowed
    bool connectPorts(const PortRef& from, const PortRef& to);
    bool disconnectPort(const PortRef& to);
    bool rewire(const PortRef& oldTo, const PortRef& from, const PortRef& newTo);
    bool deleteItems(const QStringList& keys);
    // Ctrl+Delete: deletes the nodes and reconnects around each (its first
    // tensor input's source feeds its consumers).
    bool deleteAndReconnect(const QStringList& nodeIds);
    // Cuts the wires into these input ports (a cut stroke), all in one step.
    bool cutWires(const std::vector<PortRef>& inputs);
    // What fits a wire dragged from `port` (an output if portIsOutput, else a
    // free input) and released on empty canvas: the add menu's entries.
    std::vector<PaletteEntry> entriesFitting(const PortRef& port, bool portIsOutput) const;
    // Why the node `entry` adds cannot take what output `output` carries ("" if it can, or the shape is unknown).
    QString shapeProblem(const QString& entry, const PortRef& output) const;
    // Adds `entry` at `pos` wired to `port`, in one step; returns the node id.
    QString addWired(const QString& entry, QPointF pos, const PortRef& port, bool portIsOutput);
    // Whether a node can go into this wire ("" if it can).
    QString insertProblem(const QString& nodeId, const Wire& wire) const;
    // Puts unwired node `nodeId` into `wire`. When `dragSerial` names the drag
    // that brought it there, that move and the insertion become one undo step.
    bool insertIntoWire(const QString& nodeId, const Wire& wire, int dragSerial = 0);
    // Adds `entry` at `pos` inside `wire` (a palette drop onto a wire), in one step.
    QString addIntoWire(const QString& entry, QPointF pos, const Wire& wire);
    // Ctrl+D: copies of the nodes beside them, wired among themselves only; returns the new ids.
    QStringList duplicate(const QStringList& nodeIds);
    void moveItems(const std::map<QString, QPointF>& before, const std::map<QString, QPointF>& after, int serial);
    bool setChildArgs(const QString& nodeId, const Json& args);
    bool setOpArgs(const QString& nodeId, const Json& args);
    bool setListIndex(const QString& nodeId, ListUse use, std::optional<Index> constIndex);
    QString callAgain(const QString& nodeId);
    // kind: "Sequential", "ModuleList" or "block".
    QString group(const QString& kind, const QStringList& nodeIds);
    bool ungroup(const QString& nodeId);
    bool moveContainerItem(const QString& nodeId, int from, int to);
    bool addPort(bool input, const QString& name);
    bool renamePort(const QString& key, const QString& newName);
    // Input `name`'s kind and per-sample shape as typed ("10", "3, 32, 32", "[3, 32, 32]"; ignored for int64).
    bool setInputSpec(const QString& name, DType dtype, const QString& shapeText);
    // Renames what node `nodeId` calls (the state_dict() prefix); the node id follows when it was the same name.
    bool renameChild(const QString& nodeId, const QString& newName);
    // Renames a block definition (the class; the model's name when it is the model).
    bool renameDefinition(const QString& definition, const QString& newName);
    // Item `item` of the Sequential/ModuleList that node `nodeId` calls.
    bool setItemArgs(const QString& nodeId, int item, const Json& args);
    bool removeContainerItem(const QString& nodeId, int item);
    // Item `item` of container node `nodeId` becomes a fresh `entry` ("layer:Conv2d",
    // "container:Sequential", "block:Name"); arguments both types take are kept.
    bool replaceContainerItem(const QString& nodeId, int item, const QString& entry);
    // What can replace a container item or go into one: layers, containers, blocks.
    std::vector<PaletteEntry> itemEntries() const;
    // Renames what the title of `key` shows: a port, a call's child, an op node's id.
    bool renameItem(const QString& key, const QString& newName);
    // The name that title shows (what renameItem changes).
    QString itemName(const QString& key) const;
    // What can go into a tensor wire (one tensor in, one out).
    std::vector<PaletteEntry> entriesForWire(const Wire& wire) const;
    bool applyFix(const Diagnostic& d);
    bool hasFix(const Diagnostic& d) const;
    QString copy(const QStringList& nodeIds) const; // JSON text; "" if nothing
    QStringList paste(const QString& json, QPointF at);
    void tidyLayout(); // re-lays out the shown definition (one undo step)

    // --- selection across views -----------------------------------------------
    // Selects the module at state_dict() path `path` ("task_layers.1", "block1.conv1"),
    // opening the blocks on the way; a container item is selected as that item.
    bool selectModulePath(const QString& path);
    // The module path of the canvas selection ("" if not one call or item).
    QString selectedModulePath() const;
    // Where a new node goes: the view moves it into sight and off other nodes.
    void setPlacer(std::function<QPointF(const QString& key, QPointF wanted)> placer) { m_placer = std::move(placer); }

    int nextDragSerial() { return ++m_dragSerial; }

Q_SIGNALS:
    void message(const QString& text); // status bar
    // A double-click on a node's body (not its title): the inspector focuses its Name field.
    void renameRequested(const QString& key);
    void levelsChanged();
    // A node selected from another view: the canvas brings it into sight.
    void revealRequested(const QString& key);

private:
    bool edit(const QString& text, const std::function<void(ModelDocument&)>& fn);
    void showLevel();
    // After a document change (an edit, undo, redo): the shown levels name the
    // definitions their instances now have (a renamed class follows).
    void followLevels();
    void placeNew(const QString& id);
    void makeRoomAround(const QString& key);
    // Position changes that belong to the edit just pushed (no undo step of their own).
    bool amendLastEdit(const std::map<QString, QPointF>& positions);

    GraphModel* m_model;
    QUndoStack* m_undo;
    EditorScene* m_scene;
    std::vector<ViewLevel> m_levels;
    int m_dragSerial = 0;
    std::function<QPointF(const QString&, QPointF)> m_placer;
};

} // namespace ml::gui
