#include "importicicle.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <functional>

namespace kiln {

ImportIcicle::ImportIcicle(QWidget* parent)
    : QWidget(parent) {
    setMouseTracking(true);
    setMinimumHeight(120);
}

// -X importtime prints a module when its import ends, children first, indented by depth:
// a module's children are the deeper lines just before it not yet given a parent.
void ImportIcicle::setImports(const std::vector<ProfileResult::Import>& imports) {
    struct Tree {
        const ProfileResult::Import* import;
        std::vector<size_t> children;
    };
    std::vector<Tree> tree;
    std::vector<size_t> pending;
    for (const auto& i : imports) {
        Tree t{&i, {}};
        while (!pending.empty() && tree[pending.back()].import->depth > i.depth) {
            t.children.insert(t.children.begin(), pending.back());
            pending.pop_back();
        }
        tree.push_back(std::move(t));
        pending.push_back(tree.size() - 1);
    }
    m_nodes.clear();
    m_totalUs = 1;
    m_levels = 1;
    std::function<void(size_t, int, double)> place = [&](size_t n, int level, double start) {
        m_nodes.push_back({*tree[n].import, level, start, {}});
        m_levels = std::max(m_levels, level + 1);
        double at = start;
        for (size_t c : tree[n].children) {
            place(c, level + 1, at);
            at += tree[c].import->cumulativeUs;
        }
    };
    double at = 0;
    for (size_t root : pending) {
        place(root, 0, at);
        at += tree[root].import->cumulativeUs;
    }
    m_totalUs = std::max(at, 1.0);
    layoutNodes();
    updateGeometry();
    update();
}

void ImportIcicle::layoutNodes() {
    const int rowH = fontMetrics().height() + 6;
    for (Node& n : m_nodes) {
        const int x0 = int(n.startUs / m_totalUs * (width() - 2));
        const int x1 = int((n.startUs + n.import.cumulativeUs) / m_totalUs * (width() - 2));
        n.rect = QRect(QPoint(x0 + 1, n.level * rowH + 1),
                       QPoint(std::max(x1, x0 + 1), (n.level + 1) * rowH - 1));
    }
}

QSize ImportIcicle::sizeHint() const {
    return QSize(700, m_levels * (fontMetrics().height() + 6) + 4);
}

QRect ImportIcicle::moduleRect(const QString& module) const {
    for (const Node& n : m_nodes)
        if (n.import.module == module) return n.rect;
    return {};
}

QString ImportIcicle::moduleAt(const QPoint& pos) const {
    for (const Node& n : m_nodes)
        if (n.rect.contains(pos)) return n.import.module;
    return {};
}

void ImportIcicle::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    layoutNodes();
}

void ImportIcicle::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Base));
    if (m_nodes.empty()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter, tr("No import times yet"));
        return;
    }
    for (const Node& n : m_nodes) {
        // Warmer for modules that spend more time in themselves.
        const double share =
            n.import.cumulativeUs > 0 ? n.import.selfUs / n.import.cumulativeUs : 0;
        const QColor fill = QColor::fromHsvF(0.08 + 0.08 * (1 - share), 0.55, 0.95);
        p.fillRect(n.rect, fill);
        p.setPen(fill.darker(130));
        p.drawRect(n.rect.adjusted(0, 0, -1, -1));
        if (n.rect.width() > 30) {
            p.setPen(Qt::black);
            p.drawText(
                n.rect.adjusted(3, 0, -2, 0), Qt::AlignVCenter | Qt::AlignLeft,
                fontMetrics().elidedText(n.import.module, Qt::ElideRight, n.rect.width() - 5));
        }
    }
}

void ImportIcicle::mousePressEvent(QMouseEvent* event) {
    const QString module = moduleAt(event->pos());
    if (!module.isEmpty()) Q_EMIT moduleActivated(module);
}

bool ImportIcicle::event(QEvent* event) {
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        for (const Node& n : m_nodes)
            if (n.rect.contains(help->pos())) {
                QToolTip::showText(help->globalPos(),
                                   tr("%1\nimport %2 ms, of which its own code %3 ms")
                                       .arg(n.import.module)
                                       .arg(n.import.cumulativeUs / 1000, 0, 'f', 1)
                                       .arg(n.import.selfUs / 1000, 0, 'f', 1),
                                   this, n.rect);
                return true;
            }
        QToolTip::hideText();
        return true;
    }
    return QWidget::event(event);
}

} // namespace kiln
