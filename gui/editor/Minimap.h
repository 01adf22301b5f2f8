#pragma once
// Overview of the whole graph in a corner of the canvas; the frame shows
// what the view shows, and a click or drag moves the view there.
#include <QWidget>

namespace ml::gui {

class EditorView;

class Minimap : public QWidget {
    Q_OBJECT

public:
    explicit Minimap(EditorView* view);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;

private:
    QRectF sceneArea() const;
    QTransform toMap() const;
    EditorView* m_view;
};

} // namespace ml::gui
