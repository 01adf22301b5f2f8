#pragma once
// Edits of a ModelDocument, as plain functions: each takes the document by
// reference, changes it, and throws ml::Error with the reason when the edit
// is refused (nothing is changed then, since callers edit a copy). The
// editor runs them on a copy and pushes a DocumentCommand with the result,
// so each edit, whatever it touches, undoes in one step.
#include "model/Definition.h"
#include "model/TensorType.h"

#include <QPointF>
#include <QString>
#include <QStringList>

namespace ml::gui::edits {

// Position of an item key in doc.layout (see GraphModel.h); erase with `remove`.
void setPosition(ModelDocument& doc, const std::string& def, const std::string& key, QPointF p);
void removePosition(ModelDocument& doc, const std::string& def, const std::string& key);
BlockDef& definitionOf(ModelDocument& doc, const std::string& def);

// Names not yet used in `def` (node ids share a namespace with inputs).
std::string freshChildName(const BlockDef& def, const std::string& base);
std::string freshNodeId(const BlockDef& def, const std::string& base);
std::string freshDefinitionName(const ModelDocument& doc, const std::string& base);

// A layer with the catalog's defaults and sizes that make a usable start.
ModuleSpec defaultLayerSpec(const std::string& type);

// Each adds a child (if any) and one node calling it, unwired, at `pos`; returns the node id.
std::string addLayer(ModelDocument& doc, const std::string& def, const std::string& type, QPointF pos);
std::string addOp(ModelDocument& doc, const std::string& def, const std::string& op, QPointF pos);
std::string addContainer(ModelDocument& doc, const std::string& def, const std::string& kind, QPointF pos);
std::string addBlockCall(ModelDocument& doc, const std::string& def, const std::string& block, QPointF pos);
// A new empty block definition (input x, output y = x); returns its name.
std::string addBlockDefinition(ModelDocument& doc, const std::string& base = "Block");

// Adds a palette entry ("layer:Linear", "op:add", "container:Sequential",
// "block:Name", "block:+") at `pos`; returns the new node id.
std::string addEntry(ModelDocument& doc, const std::string& def, const std::string& entry, QPointF pos);
// Whether the node an entry adds has an input taking the kind (int64 index or
// tensor) of a dragged output, or (fromOutput false) an output feeding an input of that kind.
bool entryFits(const ModelDocument& doc, const std::string& entry, bool index, bool fromOutput);
// Whether the node an entry adds (with its starting arguments) accepts a tensor
// of type `t` (every choice of a varying one) by the engine's shape rules; when
// not, `why` says so in the rule's words. An unknown type fits everything.
bool entryFitsShape(const ModelDocument& doc, const std::string& entry, const TensorType& t, std::string* why = nullptr);
// Feeds `srcRef` into the first input of node `nodeId` taking its kind (an int64
// index goes to a ModuleList's index port or a block's int64 input); throws if none does.
void feedFirstFitting(ModelDocument& doc, const std::string& def, const std::string& nodeId, const std::string& srcRef,
                      bool index);
// What node `nodeId`'s first output is called by references: "h1", or "blk.out" when its block has several outputs.
std::string firstOutputRef(const ModelDocument& doc, const std::string& def, const std::string& nodeId);
// Puts node `nodeId` (which must be unwired) into the wire feeding input `port`
// of `dstKey`: srcRef -> node -> dstKey. The wire must carry a tensor.
void insertIntoWire(ModelDocument& doc, const std::string& def, const std::string& nodeId, const std::string& srcRef,
                    const QString& dstKey, int port);
// Deletes nodes and reconnects around each: its first tensor input's source
// feeds every consumer of its outputs (Blender's and Node-RED's Ctrl+Delete).
void removeAndReconnect(ModelDocument& doc, const std::string& def, const QStringList& nodeIds);

// Appends `item` to the Sequential/ModuleList that node `nodeId` calls.
void appendItem(ModelDocument& doc, const std::string& def, const std::string& nodeId, const ModuleSpec& item);
// Moves item `from` of the container child to index `to`.
void moveItem(ModelDocument& doc, const std::string& def, const std::string& child, int from, int to);

// Deletes nodes, block inputs ("input:x") and outputs ("output:y"); wires to
// them are cut; children no other node calls are unregistered.
void removeItems(ModelDocument& doc, const std::string& def, const QStringList& keys);

// Sets input `port` of `dstKey` (a node or "output:y") to `srcRef`.
void connect(ModelDocument& doc, const std::string& def, const std::string& srcRef, const QString& dstKey, int port,
             bool indexPort);
void disconnect(ModelDocument& doc, const std::string& def, const QString& dstKey, int port, bool indexPort,
                bool variadic);

void setChildArgs(ModelDocument& doc, const std::string& def, const std::string& child, const Json& args);
void setOpArgs(ModelDocument& doc, const std::string& def, const std::string& nodeId, const Json& args);
void setListIndex(ModelDocument& doc, const std::string& def, const std::string& nodeId, ListUse use,
                  std::optional<Index> constIndex);

// A second node calling the same instance (parameters shared); returns its id.
std::string callAgain(ModelDocument& doc, const std::string& def, const std::string& nodeId, QPointF pos);

// Grouping; each returns the id of the node that replaces the selection.
std::string groupSequential(ModelDocument& doc, const std::string& def, const QStringList& nodeIds);
std::string groupModuleList(ModelDocument& doc, const std::string& def, const QStringList& nodeIds);
std::string groupBlock(ModelDocument& doc, const std::string& def, const QStringList& nodeIds);
void ungroup(ModelDocument& doc, const std::string& def, const std::string& nodeId);

// Block ports.
void addBlockInput(ModelDocument& doc, const std::string& def, const std::string& name, DType dtype = DType::Float32);
void addBlockOutput(ModelDocument& doc, const std::string& def, const std::string& name, const std::string& from);
void renamePort(ModelDocument& doc, const std::string& def, const QString& key, const std::string& newName);
// An input's kind and per-sample shape (an int64 index has none).
void setInputSpec(ModelDocument& doc, const std::string& def, const std::string& name, DType dtype,
                  std::optional<std::vector<Index>> shape);
// Parses a per-sample shape as typed: "10", "3, 32, 32" or "[3, 32, 32]"; throws naming the bad part.
std::vector<Index> parseShape(const std::string& text);
// Renames child `child` (its state_dict() prefix); callers and same_as aliases follow.
void renameChild(ModelDocument& doc, const std::string& def, const std::string& child, const std::string& newName);
// Renames block definition `def` (the Python class name; the model's name when
// it is the model): every use of it and its layout follow. Refuses names that
// are not Python identifiers, Python keywords, built-in layer types or taken.
void renameDefinition(ModelDocument& doc, const std::string& def, const std::string& newName);
// Renames node `nodeId`; wires from it and its place follow.
void renameNode(ModelDocument& doc, const std::string& def, const std::string& nodeId, const std::string& newId);
// Item `item` of container child `child`: its arguments, or removing it.
void setItemArgs(ModelDocument& doc, const std::string& def, const std::string& child, int item, const Json& args);
void removeItem(ModelDocument& doc, const std::string& def, const std::string& child, int item);
// Item `item` of container child `child` becomes `spec`; arguments both types take keep their values.
void replaceItem(ModelDocument& doc, const std::string& def, const std::string& child, int item, ModuleSpec spec);

// The residual fix: a 1x1 Conv2d + BatchNorm2d projection on the shortcut
// input `shortcutRef` of add node `nodeId`; channels from the definition's
// `out_channels` parameter when it has one, else `channels`.
void insertProjection(ModelDocument& doc, const std::string& def, const std::string& nodeId,
                      const std::string& shortcutRef, Index channels, Index stride);

// Clipboard: a model document holding the selected nodes, the children they
// call and the block definitions those need; wires to outside nodes are cut.
ModelDocument copyItems(const ModelDocument& doc, const std::string& def, const QStringList& nodeIds);
// Pastes into `def` with fresh names, offset by `offset`; returns the new node ids.
QStringList paste(ModelDocument& doc, const std::string& def, const ModelDocument& clip, QPointF offset);

} // namespace ml::gui::edits
