#include "importicicle.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

namespace kiln {

ImportIcicle::ImportIcicle(QWidget* parent)
    : QWidget(parent) {
    setMouseTracking(true);
    setMinimumHeight(120);
}

void ImportIcicle::setImports(const std::vector<ImportTime>& imports) {
    m_nodes.clear();
    m_totalUs = 1;
    m_levels = 1;
    double end = 0;
    for (const ImportSpan& span : layoutImports(imports)) {
        m_nodes.push_back({span, {}});
        m_levels = std::max(m_levels, span.level + 1);
        end = std::max(end, span.startUs + span.import.cumulativeUs);
    }
    m_totalUs = std::max(end, 1.0);
    layoutNodes();
    updateGeometry();
    update();
}

void ImportIcicle::layoutNodes() {
    const int rowH = fontMetrics().height() + 6;
    for (Node& n : m_nodes) {
        const int x0 = int(n.span.startUs / m_totalUs * (width() - 2));
        const int x1 =
            int((n.span.startUs + n.span.import.cumulativeUs) / m_totalUs * (width() - 2));
        n.rect = QRect(QPoint(x0 + 1, n.span.level * rowH + 1),
                       QPoint(std::max(x1, x0 + 1), (n.span.level + 1) * rowH - 1));
    }
}

QSize ImportIcicle::sizeHint() const {
    return QSize(700, m_levels * (fontMetrics().height() + 6) + 4);
}

QRect ImportIcicle::moduleRect(const QString& module) const {
    for (const Node& n : m_nodes)
        if (n.span.import.module == module) return n.rect;
    return {};
}

QString ImportIcicle::moduleAt(const QPoint& pos) const {
    for (const Node& n : m_nodes)
        if (n.rect.contains(pos)) return n.span.import.module;
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
            n.span.import.cumulativeUs > 0 ? n.span.import.selfUs / n.span.import.cumulativeUs : 0;
        const QColor fill = QColor::fromHsvF(0.08 + 0.08 * (1 - share), 0.55, 0.95);
        p.fillRect(n.rect, fill);
        p.setPen(fill.darker(130));
        p.drawRect(n.rect.adjusted(0, 0, -1, -1));
        if (n.rect.width() > 30) {
            p.setPen(Qt::black);
            p.drawText(
                n.rect.adjusted(3, 0, -2, 0), Qt::AlignVCenter | Qt::AlignLeft,
                fontMetrics().elidedText(n.span.import.module, Qt::ElideRight, n.rect.width() - 5));
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
                                       .arg(n.span.import.module)
                                       .arg(n.span.import.cumulativeUs / 1000, 0, 'f', 1)
                                       .arg(n.span.import.selfUs / 1000, 0, 'f', 1),
                                   this, n.rect);
                return true;
            }
        QToolTip::hideText();
        return true;
    }
    return QWidget::event(event);
}

} // namespace kiln
