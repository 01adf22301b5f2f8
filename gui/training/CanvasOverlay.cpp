#include "training/CanvasOverlay.h"

#include "editor/EditorScene.h"
#include "editor/NodeItem.h"

#include <QGraphicsView>
#include <QPainter>
#include <QPainterPath>
#include <QWidget>
#include <algorithm>
#include <cmath>

namespace ml::gui {

namespace {

// The tint and sparkline of one node: a child of its NodeItem.
class TintItem : public QGraphicsItem {
public:
    enum { Type = UserType + 40 };
    explicit TintItem(NodeItem* node) : QGraphicsItem(node) {
        setAcceptedMouseButtons(Qt::NoButton);
        setAcceptHoverEvents(false);
        setZValue(1);
    }
    int type() const override { return Type; }
    void setState(const CanvasOverlay::NodeState& s, QSizeF size) {
        if (size != m_size) prepareGeometryChange();
        m_state = s;
        m_size = size;
        update();
    }
    const CanvasOverlay::NodeState& state() const { return m_state; }
    QRectF boundingRect() const override { return QRectF(-3, -3, m_size.width() + 6, m_size.height() + kStrip + 10); }
    void paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) override {
        const QRectF r(QPointF(0, 0), m_size);
        p->setRenderHint(QPainter::Antialiasing, true);
        QColor wash = m_state.color;
        wash.setAlpha(60);
        p->setPen(QPen(m_state.color, 3));
        p->setBrush(wash);
        p->drawRoundedRect(r.adjusted(-1.5, -1.5, 1.5, 1.5), 7, 7);
        // The sparkline strip under the node: log of the recent norms, own range.
        const QRectF strip(r.left(), r.bottom() + 4, r.width(), kStrip);
        p->setPen(Qt::NoPen);
        p->setBrush(QColor(20, 20, 24, 200));
        p->drawRoundedRect(strip, 4, 4);
        QFont f = p->font();
        f.setPointSizeF(7);
        p->setFont(f);
        p->setPen(m_state.color.lighter(130));
        const QString text = QString::number(m_state.value, 'g', 3);
        const double textW = QFontMetricsF(f).horizontalAdvance(text) + 8;
        p->drawText(strip.adjusted(0, 0, -4, 0), Qt::AlignVCenter | Qt::AlignRight, text);
        std::vector<double> logs;
        for (double v : m_state.spark)
            if (v > 0 && std::isfinite(v)) logs.push_back(std::log10(v));
        if (logs.size() < 2) return;
        const auto [lo, hi] = std::minmax_element(logs.begin(), logs.end());
        const double span = std::max(1e-9, *hi - *lo);
        const QRectF area = strip.adjusted(4, 3, -textW, -3);
        QPainterPath path;
        for (size_t i = 0; i < logs.size(); ++i) {
            const QPointF pt(area.left() + area.width() * double(i) / double(logs.size() - 1),
                             area.bottom() - area.height() * (logs[i] - *lo) / span);
            if (i == 0) path.moveTo(pt);
            else path.lineTo(pt);
        }
        p->setPen(QPen(m_state.color.lighter(140), 1.3));
        p->setBrush(Qt::NoBrush);
        p->drawPath(path);
    }

private:
    static constexpr double kStrip = 18;
    CanvasOverlay::NodeState m_state;
    QSizeF m_size;
};

TintItem* tintOf(NodeItem* node) {
    for (QGraphicsItem* c : node->childItems())
        if (c->type() == TintItem::Type) return static_cast<TintItem*>(c);
    return nullptr;
}

} // namespace

// The colour scale, top right of the canvas.
class GradientLegend : public QWidget {
public:
    explicit GradientLegend(QWidget* parent) : QWidget(parent) {
        setAttribute(Qt::WA_TransparentForMouseEvents);
        setObjectName(QStringLiteral("gradientLegend"));
        resize(230, 46);
    }
    void setRange(double lo, double hi) {
        m_lo = lo;
        m_hi = hi;
        update();
    }
    QString text() const {
        return tr("gradient L2 norm (log): %1 to %2").arg(QString::number(std::pow(10.0, m_lo), 'g', 2),
                                                          QString::number(std::pow(10.0, m_hi), 'g', 2));
    }

protected:
    void paintEvent(QPaintEvent*) override {
        QPainter p(this);
        p.setRenderHint(QPainter::Antialiasing, true);
        p.setPen(Qt::NoPen);
        p.setBrush(QColor(20, 20, 24, 210));
        p.drawRoundedRect(rect(), 6, 6);
        QFont f = font();
        f.setPointSizeF(7.5);
        p.setFont(f);
        p.setPen(Qt::white);
        p.drawText(QRectF(8, 2, width() - 16, 16), Qt::AlignLeft | Qt::AlignVCenter, tr("gradient L2 norm (log scale)"));
        const QRectF bar(8, 19, width() - 16, 9);
        QLinearGradient g(bar.topLeft(), bar.topRight());
        for (int i = 0; i <= 8; ++i) g.setColorAt(i / 8.0, CanvasOverlay::colorAt(i / 8.0));
        p.setBrush(g);
        p.drawRect(bar);
        p.setPen(Qt::white);
        const auto label = [&](double e) { return QString::number(std::pow(10.0, e), 'g', 2); };
        p.drawText(QRectF(8, 29, 60, 14), Qt::AlignLeft | Qt::AlignVCenter, label(m_lo));
        p.drawText(QRectF(width() / 2.0 - 30, 29, 60, 14), Qt::AlignHCenter | Qt::AlignVCenter, label((m_lo + m_hi) / 2));
        p.drawText(QRectF(width() - 68, 29, 60, 14), Qt::AlignRight | Qt::AlignVCenter, label(m_hi));
    }

private:
    double m_lo = 0, m_hi = 1;
};

CanvasOverlay::CanvasOverlay(EditorScene* scene, QObject* parent) : QObject(parent), m_scene(scene) {
    connect(scene, &EditorScene::definitionShown, this, &CanvasOverlay::refresh);
}

CanvasOverlay::~CanvasOverlay() { delete m_legend; }

QColor CanvasOverlay::colorAt(double t) {
    // ColorBrewer's RdYlBu reversed: small gradients cold, large hot.
    static const QColor stops[] = {QColor(49, 54, 149), QColor(69, 117, 180), QColor(116, 173, 209), QColor(171, 217, 233),
                                   QColor(254, 224, 144), QColor(253, 174, 97), QColor(244, 109, 67), QColor(215, 48, 39)};
    constexpr int n = 8;
    t = std::clamp(t, 0.0, 1.0) * (n - 1);
    const int i = std::min(n - 2, static_cast<int>(t));
    const double f = t - i;
    const QColor& a = stops[i];
    const QColor& b = stops[i + 1];
    return QColor::fromRgbF(float(a.redF() + f * (b.redF() - a.redF())), float(a.greenF() + f * (b.greenF() - a.greenF())),
                            float(a.blueF() + f * (b.blueF() - a.blueF())));
}

QWidget* CanvasOverlay::legend() const { return m_legend; }

void CanvasOverlay::show(const Run* run) {
    m_run = run;
    refresh();
}

void CanvasOverlay::clear() {
    m_run = nullptr;
    refresh();
}

void CanvasOverlay::setEnabled(bool on) {
    m_enabled = on;
    refresh();
}

std::optional<CanvasOverlay::NodeState> CanvasOverlay::state(const QString& key) const {
    NodeItem* node = m_scene->nodeItem(key);
    TintItem* t = node ? tintOf(node) : nullptr;
    if (!t) return std::nullopt;
    return t->state();
}

void CanvasOverlay::refresh() {
    // Which module each node of the shown level runs: a call node of this
    // definition, in the instance shown (a block used twice has two).
    std::map<QString, NodeState> states;
    if (m_enabled && m_run && m_run->description) {
        const QString def = m_scene->definitionName();
        const std::string inst = m_scene->instancePath().toStdString();
        for (const RunModule& m : m_run->description->modules) {
            const size_t dot = m.path.rfind('.');
            const std::string parent = dot == std::string::npos ? std::string() : m.path.substr(0, dot);
            if (m.path.empty() || parent != inst) continue;
            auto s = m_run->series.find(QStringLiteral("grad norm: ") + Run::modulePath(m.path));
            if (s == m_run->series.end() || s->second.y.empty()) continue;
            for (const std::string& c : m.canvasNodes) {
                const QString canvas = QString::fromStdString(c);
                if (canvas.section(QLatin1Char('/'), 0, 0) != def) continue;
                NodeState st;
                st.module = Run::modulePath(m.path);
                st.value = s->second.y.back();
                const auto& ys = s->second.y;
                st.spark.assign(ys.end() - std::min<ptrdiff_t>(kSparkPoints, ptrdiff_t(ys.size())), ys.end());
                states[canvas.section(QLatin1Char('/'), 1)] = std::move(st);
            }
        }
    }
    // One log scale over the nodes in view, at least a decade wide.
    double lo = 1e300, hi = -1e300;
    for (const auto& [k, s] : states)
        if (s.value > 0 && std::isfinite(s.value)) lo = std::min(lo, std::log10(s.value)), hi = std::max(hi, std::log10(s.value));
    if (lo > hi) lo = -3, hi = 0;
    if (hi - lo < 1) {
        const double mid = (lo + hi) / 2;
        lo = mid - 0.5;
        hi = mid + 0.5;
    }
    m_lo = lo;
    m_hi = hi;
    for (const auto& [key, node] : m_scene->nodeItems()) {
        TintItem* t = tintOf(node);
        auto it = states.find(key);
        if (it == states.end()) {
            delete t;
            continue;
        }
        NodeState& s = it->second;
        s.color = s.value > 0 && std::isfinite(s.value) ? colorAt((std::log10(s.value) - lo) / (hi - lo))
                                                         : QColor(Qt::magenta); // not finite
        if (!t) t = new TintItem(node);
        t->setState(s, node->look().size);
    }
    QGraphicsView* view = m_scene->views().value(0);
    if (states.empty() || !view) {
        if (m_legend) m_legend->hide();
        return;
    }
    if (!m_legend) m_legend = new GradientLegend(view);
    m_legend->setRange(lo, hi);
    m_legend->move(view->width() - m_legend->width() - 24, 10);
    m_legend->setToolTip(m_legend->text());
    m_legend->show();
    m_legend->raise();
}

} // namespace ml::gui
