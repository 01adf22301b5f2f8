#pragma once
// The one adapter between the editor and the engine model. It owns the
// ModelDocument (the truth) and its Analysis (derived: re-run after every
// change of the definitions), answers the questions the scene and the docks
// ask in ids (definition name + item key), and emits signals; it never knows
// about graphics items.
//
// Item keys inside a definition's graph: a node id ("h1"), "input:<name>",
// "output:<name>". The same keys name positions in doc.layout:
//   "layout": {"positions": {"ResNet": {"h1": [120, 40], "input:x": [0, 40]}}}
#include "io/ModelJson.h"
#include "shape/Summary.h"
#include "shape/Analysis.h"

#include <QObject>
#include <QPointF>
#include <QString>
#include <QStringList>

#include <map>
#include <optional>

namespace ml::gui {

enum class PortKind { Tensor, Index };

// One end of a wire: item key and port number on that item.
struct PortRef {
    QString key;
    int port = 0;
    bool operator==(const PortRef& o) const { return key == o.key && port == o.port; }
};

struct Wire {
    PortRef from; // an output port
    PortRef to;   // an input port
};

class GraphModel : public QObject {
    Q_OBJECT

public:
    explicit GraphModel(QObject* parent = nullptr);

    const ModelDocument& document() const { return m_doc; }
    const Analysis& analysis() const { return m_analysis; }

    // Replaces the whole document (open, new, undo/redo of an edit) and re-analyzes.
    void setDocument(ModelDocument doc);
    // Positions only: no re-analysis. Keys absent from `positions` keep theirs.
    void setPositions(const QString& definition, const std::map<QString, QPointF>& positions);
    std::optional<QPointF> position(const QString& definition, const QString& key) const;

    // --- queries on a definition's graph ----------------------------------
    const BlockDef* definition(const QString& name) const;
    QStringList itemKeys(const QString& definition) const; // inputs, nodes, outputs
    std::vector<Wire> wires(const QString& definition) const;
    // The reference string an output port stands for ("x", "h1", "blk.out").
    QString refOfOutput(const QString& definition, const PortRef& port) const;
    std::optional<PortRef> portOfRef(const QString& definition, const QString& ref) const;
    int outputPortCount(const QString& definition, const QString& key) const;
    int inputPortCount(const QString& definition, const QString& key) const;
    QString outputPortName(const QString& definition, const QString& key, int port) const;
    QString inputPortName(const QString& definition, const QString& key, int port) const;
    PortKind outputPortKind(const QString& definition, const QString& key, int port) const;
    PortKind inputPortKind(const QString& definition, const QString& key, int port) const;
    bool isIndexPort(const QString& definition, const QString& key, int port) const;
    bool isVariadic(const QString& definition, const QString& key) const;

    // The spec a call node calls (following same_as), or null.
    const ModuleSpec* calledSpec(const QString& definition, const QString& nodeId) const;
    QString calledChildName(const QString& definition, const QString& nodeId) const; // after same_as

    // --- analysis lookups ---------------------------------------------------
    // The instance a view shows: "" is the root, "block1.inner" a nested block.
    const ModuleInstance* instanceAt(const QString& instancePath) const;
    const ModuleInstance* childInstance(const QString& instancePath, const QString& childName) const;
    // Output type of an output port, as seen in the instance `instancePath`.
    const TensorType* outputType(const QString& instancePath, const QString& definition, const PortRef& port) const;
    std::vector<const Diagnostic*> diagnosticsFor(const QString& definition, const QString& instancePath,
                                                  const QString& key) const;
    // Number of nodes in `definition` that call the same instance as `nodeId` (1: not shared).
    int sharedUseCount(const QString& definition, const QString& nodeId) const;
    QStringList nodesSharingWith(const QString& definition, const QString& nodeId) const;

Q_SIGNALS:
    void documentChanged();                       // definitions (and maybe layout) changed; analysis is fresh
    void positionsChanged(const QString& definition, const QStringList& keys);

private:
    void reanalyze();

    ModelDocument m_doc;
    Analysis m_analysis;
};

QString qs(const std::string& s);
std::string ss(const QString& s);
QString shapeText(const TensorType& t); // "[N, 64, 32, 32]", "int64", "?"

} // namespace ml::gui
