#pragma once

#include "profileresult.h"

#include <QWidget>

namespace kiln {

// The Python import tree as an icicle: a row per depth, each module as wide as its
// cumulative import time, its children under it. Hover tells self and cumulative time;
// clicking a module asks to open it (moduleActivated).
class ImportIcicle : public QWidget {
    Q_OBJECT
public:
    explicit ImportIcicle(QWidget* parent = nullptr);
    void setImports(const std::vector<ImportTime>& imports);
    // The module's box, or an empty rect; the module at a point, or an empty string.
    QRect moduleRect(const QString& module) const;
    QString moduleAt(const QPoint& pos) const;
    int nodeCount() const { return int(m_nodes.size()); }
    QSize sizeHint() const override;

Q_SIGNALS:
    void moduleActivated(const QString& module);

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    bool event(QEvent* event) override;

private:
    struct Node {
        ImportSpan span;
        QRect rect;
    };
    void layoutNodes();
    std::vector<Node> m_nodes;
    double m_totalUs = 1;
    int m_levels = 1;
};

} // namespace kiln
