#include "workflowtimeline.h"

#include "workflowstepsmodel.h"

#include <QDateTime>
#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>
#include <QToolTip>
#include <QWheelEvent>

#include <cmath>

namespace kiln {

namespace {

QColor fillOf(TimelineSegment::Kind kind, const QPalette& palette) {
    using K = TimelineSegment::Kind;
    switch (kind) {
    case K::AttemptSucceeded:
        return QColor(67, 160, 71);
    case K::AttemptFailed:
        return QColor(229, 57, 53);
    case K::AttemptRunning:
        return palette.color(QPalette::Highlight);
    case K::AttemptInterrupted:
        return QColor(251, 140, 0);
    case K::RetryWait:
        return QColor(229, 57, 53);
    case K::Sleep:
        return QColor(126, 87, 194);
    case K::EventWait:
        return QColor(0, 137, 123);
    case K::Planned:
        return palette.color(QPalette::Mid);
    }
    return palette.color(QPalette::Mid);
}

// Tick spacing: 1, 2 or 5 times a power of ten ms, at least `minMs` apart.
qint64 tickStep(double minMs) {
    double base = std::pow(10.0, std::floor(std::log10(std::max(minMs, 1.0))));
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (base * m >= minMs) return qint64(base * m);
    return qint64(base * 10);
}

QString tickText(qint64 offsetMs, qint64 step) {
    if (step < 1000) return QStringLiteral("+%1 ms").arg(offsetMs);
    if (step < 60'000) return QStringLiteral("+%1 s").arg(double(offsetMs) / 1000.0, 0, 'g', 6);
    if (step < 3'600'000)
        return QStringLiteral("+%1 min").arg(double(offsetMs) / 60'000.0, 0, 'g', 6);
    return QStringLiteral("+%1 h").arg(double(offsetMs) / 3'600'000.0, 0, 'g', 6);
}

} // namespace

WorkflowTimeline::WorkflowTimeline(WorkflowStepsModel* model, QWidget* parent)
    : QAbstractScrollArea(parent)
    , m_model(model) {
    setMouseTracking(true);
    viewport()->setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOn);
    setMinimumHeight(120);
    const auto changed = [this] {
        rebuildRows();
        if (m_fitted) fit();
        viewport()->update();
    };
    connect(model, &QAbstractItemModel::modelReset, this, changed);
    connect(model, &QAbstractItemModel::dataChanged, this, changed);
    connect(horizontalScrollBar(), &QScrollBar::valueChanged, this, [this](int value) {
        if (m_syncingScroll) return;
        const auto [lo, hi] = m_model->timeRange();
        m_start = lo - m_span / 10 + value;
        m_fitted = false;
        viewport()->update();
    });
    connect(verticalScrollBar(), &QScrollBar::valueChanged, viewport(),
            qOverload<>(&QWidget::update));
    rebuildRows();
}

void WorkflowTimeline::rebuildRows() {
    const int keep = m_selected;
    m_rows.clear();
    for (int r = 0; r < m_model->rowCount(); ++r)
        if (m_filter.isEmpty() || m_model->step(r).name.contains(m_filter, Qt::CaseInsensitive))
            m_rows.push_back(r);
    if (keep >= m_model->rowCount()) m_selected = -1;
    updateScrollBars();
}

void WorkflowTimeline::setFilter(const QString& text) {
    m_filter = text;
    rebuildRows();
    viewport()->update();
}

void WorkflowTimeline::setNow(qint64 nowMs) {
    m_now = nowMs;
    m_model->setNow(nowMs);
    if (m_fitted) fit();
    viewport()->update();
}

int WorkflowTimeline::rowHeight() const {
    return fontMetrics().height() + 8;
}

int WorkflowTimeline::plotWidth() const {
    return std::max(40, viewport()->width() - kLabelWidth - 8);
}

void WorkflowTimeline::setView(qint64 start, qint64 span) {
    m_fitted = false;
    applyView(start, span);
}

void WorkflowTimeline::applyView(qint64 start, qint64 span) {
    m_start = start;
    m_span = std::max<qint64>(span, 5);
    updateScrollBars();
    viewport()->update();
}

void WorkflowTimeline::fit() {
    const auto [lo, hi] = m_model->timeRange();
    const qint64 span = std::max<qint64>(hi - lo, 50);
    m_fitted = true;
    applyView(lo - span / 50, span + span / 25);
}

void WorkflowTimeline::zoom(double factor, int anchorX) {
    const int x = anchorX < 0 ? kLabelWidth + plotWidth() / 2 : anchorX;
    const double at = double(x - kLabelWidth) / plotWidth();
    const qint64 anchorMs = m_start + qint64(at * double(m_span));
    const qint64 span = std::max<qint64>(qint64(double(m_span) * factor), 5);
    m_fitted = false;
    setView(anchorMs - qint64(at * double(span)), span);
}

int WorkflowTimeline::xOf(qint64 ms) const {
    return kLabelWidth + int(double(ms - m_start) * plotWidth() / double(m_span));
}

void WorkflowTimeline::updateScrollBars() {
    m_syncingScroll = true;
    const int visible = std::max(1, (viewport()->height() - kAxisHeight) / rowHeight());
    verticalScrollBar()->setRange(0, std::max(0, int(m_rows.size()) - visible));
    verticalScrollBar()->setPageStep(visible);
    const auto [lo, hi] = m_model->timeRange();
    const qint64 margin = m_span / 10;
    const qint64 extent = std::max<qint64>(0, (hi + margin) - (lo - margin) - m_span);
    horizontalScrollBar()->setRange(0, int(std::min<qint64>(extent, INT_MAX)));
    horizontalScrollBar()->setPageStep(int(std::min<qint64>(m_span, INT_MAX)));
    horizontalScrollBar()->setSingleStep(int(std::max<qint64>(1, m_span / 20)));
    horizontalScrollBar()->setValue(int(std::clamp<qint64>(m_start - (lo - margin), 0, extent)));
    m_syncingScroll = false;
}

QRect WorkflowTimeline::rowRect(int modelRow) const {
    const auto it = std::find(m_rows.begin(), m_rows.end(), modelRow);
    if (it == m_rows.end()) return {};
    const int visibleIndex = int(it - m_rows.begin()) - verticalScrollBar()->value();
    return QRect(0, kAxisHeight + visibleIndex * rowHeight(), viewport()->width(), rowHeight());
}

QRect WorkflowTimeline::segmentRect(int modelRow, int segment) const {
    const QRect row = rowRect(modelRow);
    if (row.isNull() || modelRow < 0 || modelRow >= m_model->rowCount()) return {};
    const auto segments = timelineSegments(m_model->step(modelRow), m_now);
    if (segment < 0 || segment >= int(segments.size())) return {};
    return barRect(row, segments[size_t(segment)]);
}

QRect WorkflowTimeline::barRect(const QRect& row, const TimelineSegment& s) const {
    const int x0 = xOf(s.start), x1 = std::max(xOf(s.end), x0 + 2);
    return QRect(QPoint(x0, row.top() + 3), QPoint(x1, row.bottom() - 3));
}

std::pair<int, int> WorkflowTimeline::segmentAt(const QPoint& pos) const {
    if (pos.y() < kAxisHeight) return {-1, -1};
    const int index = (pos.y() - kAxisHeight) / rowHeight() + verticalScrollBar()->value();
    if (index < 0 || index >= int(m_rows.size())) return {-1, -1};
    const int row = m_rows[size_t(index)];
    // Exactly under the pointer first (later bars are drawn on top), then within 2 px: a
    // short attempt is a sliver.
    // A bar of work wins over a wait drawn across it.
    const auto segments = timelineSegments(m_model->step(row), m_now);
    const QRect rect = rowRect(row);
    const int count = int(segments.size());
    for (int slack : {0, 2})
        for (bool waits : {false, true})
            for (int i = count - 1; i >= 0; --i) {
                const auto kind = segments[size_t(i)].kind;
                const bool isWait =
                    kind == TimelineSegment::RetryWait || kind == TimelineSegment::Planned;
                if (isWait == waits &&
                    barRect(rect, segments[size_t(i)]).adjusted(-slack, 0, slack, 0).contains(pos))
                    return {row, i};
            }
    return {row, -1};
}

void WorkflowTimeline::selectRow(int modelRow) {
    m_selected = modelRow;
    viewport()->update();
    Q_EMIT stepSelected(modelRow);
}

void WorkflowTimeline::paintAxis(QPainter& p) {
    const QPalette& pal = palette();
    p.fillRect(QRect(0, 0, viewport()->width(), kAxisHeight), pal.color(QPalette::Window));
    const auto [lo, hi] = m_model->timeRange();
    if (lo <= 0) return;
    const qint64 step = tickStep(double(m_span) * 90.0 / plotWidth());
    p.setPen(pal.color(QPalette::WindowText));
    p.drawText(QRect(6, 0, kLabelWidth - 10, kAxisHeight), Qt::AlignVCenter | Qt::AlignLeft,
               QDateTime::fromMSecsSinceEpoch(lo).toString(QStringLiteral("HH:mm:ss.zzz")));
    const qint64 first = lo + ((m_start - lo) / step) * step;
    for (qint64 t = first; t <= m_start + m_span; t += step) {
        const int x = xOf(t);
        if (x < kLabelWidth) continue;
        p.setPen(pal.color(QPalette::Mid));
        p.drawLine(x, kAxisHeight - 5, x, viewport()->height());
        p.setPen(pal.color(QPalette::WindowText));
        p.drawText(QRect(x + 3, 0, 120, kAxisHeight), Qt::AlignVCenter | Qt::AlignLeft,
                   tickText(t - lo, step));
    }
    p.setPen(pal.color(QPalette::Mid));
    p.drawLine(0, kAxisHeight - 1, viewport()->width(), kAxisHeight - 1);
}

void WorkflowTimeline::paintRow(QPainter& p, int visibleIndex) {
    const int row = m_rows[size_t(visibleIndex)];
    const QRect rect = rowRect(row);
    const QPalette& pal = palette();
    if (row == m_selected)
        p.fillRect(rect, pal.color(QPalette::Highlight).lighter(170));
    else if (visibleIndex % 2)
        p.fillRect(rect, pal.color(QPalette::AlternateBase));
    const WorkflowStep& step = m_model->step(row);
    QString label =
        step.count > 1 ? QStringLiteral("%1 (%2)").arg(step.name).arg(step.count) : step.name;
    if (m_model->instances().size() > 1) {
        // Step first (what a person scans for), then which instance, shortened.
        const QString& id = m_model->instanceOf(row);
        label += QStringLiteral("  \u00b7 ") + (id.size() > 12 ? id.left(8) : id);
        // A rule where the next instance's steps begin.
        if (visibleIndex > 0 && m_model->instanceOf(m_rows[size_t(visibleIndex - 1)]) != id) {
            p.setPen(pal.color(QPalette::Mid));
            p.drawLine(rect.topLeft(), rect.topRight());
        }
    }
    p.setPen(pal.color(row == m_selected ? QPalette::Text : QPalette::WindowText));
    p.drawText(rect.adjusted(6, 0, -(rect.width() - kLabelWidth + 6), 0),
               Qt::AlignVCenter | Qt::AlignLeft,
               fontMetrics().elidedText(label, Qt::ElideRight, kLabelWidth - 12));
    p.save();
    p.setClipRect(QRect(kLabelWidth, rect.top(), plotWidth() + 8, rect.height()));
    const auto segments = timelineSegments(step, m_now);
    for (int i = 0; i < int(segments.size()); ++i) {
        const TimelineSegment& s = segments[size_t(i)];
        const QRect bar = barRect(rect, s);
        const QColor color = fillOf(s.kind, pal);
        if (s.kind == TimelineSegment::RetryWait) {
            p.fillRect(bar, QBrush(color, Qt::BDiagPattern));
            p.setPen(color);
            p.drawRect(bar.adjusted(0, 0, -1, -1));
        } else if (s.kind == TimelineSegment::Planned) {
            p.setPen(QPen(color, 1, Qt::DashLine));
            p.setBrush(Qt::NoBrush);
            p.drawRect(bar.adjusted(0, 0, -1, -1));
        } else {
            p.fillRect(bar, color);
        }
    }
    p.restore();
}

void WorkflowTimeline::paintEvent(QPaintEvent*) {
    QPainter p(viewport());
    p.fillRect(viewport()->rect(), palette().color(QPalette::Base));
    paintAxis(p);
    p.setClipRect(QRect(0, kAxisHeight, viewport()->width(), viewport()->height()));
    const int first = verticalScrollBar()->value();
    const int fits = (viewport()->height() - kAxisHeight) / rowHeight() + 1;
    for (int i = first; i < int(m_rows.size()) && i < first + fits; ++i)
        paintRow(p, i);
    if (m_rows.empty()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(viewport()->rect().adjusted(0, kAxisHeight, 0, 0), Qt::AlignCenter,
                   m_model->rowCount() ? tr("No step matches the search")
                                       : tr("Select instances above to see their steps"));
    }
    // "Now" as a line, while something runs.
    if (m_model->anyRunning() && xOf(m_now) > kLabelWidth) {
        p.setPen(QPen(palette().color(QPalette::Highlight), 1, Qt::DotLine));
        p.drawLine(xOf(m_now), kAxisHeight, xOf(m_now), viewport()->height());
    }
}

void WorkflowTimeline::resizeEvent(QResizeEvent* event) {
    QAbstractScrollArea::resizeEvent(event);
    updateScrollBars();
}

void WorkflowTimeline::wheelEvent(QWheelEvent* event) {
    const int delta = event->angleDelta().y();
    if (event->modifiers() & Qt::ControlModifier) {
        zoom(delta > 0 ? 0.8 : 1.25, int(event->position().x()));
        event->accept();
        return;
    }
    if (event->modifiers() & Qt::ShiftModifier) {
        m_fitted = false;
        setView(m_start - m_span * delta / 1200, m_span);
        event->accept();
        return;
    }
    QAbstractScrollArea::wheelEvent(event);
}

void WorkflowTimeline::mousePressEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton) return;
    const auto [row, segment] = segmentAt(event->pos());
    if (row >= 0) selectRow(row);
    m_dragFrom = event->pos();
    m_dragStart = m_start;
    m_dragging = event->pos().x() > kLabelWidth;
}

void WorkflowTimeline::mouseMoveEvent(QMouseEvent* event) {
    if (!m_dragging || !(event->buttons() & Qt::LeftButton)) return;
    const int dx = event->pos().x() - m_dragFrom.x();
    if (std::abs(dx) < 3) return;
    m_fitted = false;
    setView(m_dragStart - qint64(double(dx) * double(m_span) / plotWidth()), m_span);
}

void WorkflowTimeline::mouseReleaseEvent(QMouseEvent*) {
    m_dragging = false;
}

void WorkflowTimeline::mouseDoubleClickEvent(QMouseEvent* event) {
    const auto [row, segment] = segmentAt(event->pos());
    if (row >= 0) Q_EMIT stepActivated(row);
}

bool WorkflowTimeline::viewportEvent(QEvent* event) {
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const auto [row, segment] = segmentAt(help->pos());
        if (row >= 0 && segment >= 0) {
            const auto segments = timelineSegments(m_model->step(row), m_now);
            QToolTip::showText(help->globalPos(),
                               m_model->step(row).name + QLatin1Char('\n') +
                                   segments[size_t(segment)].text,
                               viewport(), barRect(rowRect(row), segments[size_t(segment)]));
        } else {
            QToolTip::hideText();
        }
        return true;
    }
    return QAbstractScrollArea::viewportEvent(event);
}

void WorkflowTimeline::keyPressEvent(QKeyEvent* event) {
    const auto it = std::find(m_rows.begin(), m_rows.end(), m_selected);
    const int index = it == m_rows.end() ? -1 : int(it - m_rows.begin());
    if (event->key() == Qt::Key_Down && index + 1 < int(m_rows.size()))
        return selectRow(m_rows[size_t(index + 1)]);
    if (event->key() == Qt::Key_Up && index > 0) return selectRow(m_rows[size_t(index - 1)]);
    if (event->key() == Qt::Key_Plus || event->key() == Qt::Key_Equal) return zoomIn();
    if (event->key() == Qt::Key_Minus) return zoomOut();
    if (event->key() == Qt::Key_0) return fit();
    if ((event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter) && m_selected >= 0)
        return Q_EMIT stepActivated(m_selected);
    QAbstractScrollArea::keyPressEvent(event);
}

} // namespace kiln
