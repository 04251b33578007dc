#pragma once

#include "workflowsnapshot.h"

#include <QAbstractScrollArea>

class QPainter;

namespace kiln {

class WorkflowStepsModel;

// The workflow pane's Gantt chart: one row per step of the shown instances (several share
// one time axis), each attempt a bar (failed red, running blue and growing, interrupted by a
// killed process orange), the wait before a retry hatched, sleeps and event waits as their
// own bars with what is still ahead outlined. Hovering a bar tells what it was (the error of
// a failed attempt); clicking a row selects the step. Ctrl+wheel (or zoomIn/zoomOut) zooms
// around the pointer, dragging or the horizontal bar pans, fit() shows everything. Painted
// from the model at `now`, so a running step grows as the pane repaints it.
class WorkflowTimeline : public QAbstractScrollArea {
    Q_OBJECT
public:
    explicit WorkflowTimeline(WorkflowStepsModel* model, QWidget* parent = nullptr);

    // Rows whose step name contains `text` (any case); the others are hidden.
    void setFilter(const QString& text);
    int visibleRows() const { return int(m_rows.size()); }
    // Model rows shown, top to bottom.
    const std::vector<int>& rows() const { return m_rows; }
    void setNow(qint64 nowMs);
    qint64 now() const { return m_now; }

    // The time window shown (ms since the epoch). setView() fixes it; fit() shows every bar
    // and keeps doing so as the data grows, until the next zoom or pan.
    qint64 viewStart() const { return m_start; }
    qint64 viewSpan() const { return m_span; }
    void setView(qint64 start, qint64 span);
    void fit();
    void zoom(double factor, int anchorX = -1);
    void zoomIn() { zoom(0.5); }
    void zoomOut() { zoom(2.0); }

    int selectedRow() const { return m_selected; } // model row, -1 for none
    void selectRow(int modelRow);
    // Geometry, in viewport coordinates, for tests and tooltips.
    QRect rowRect(int modelRow) const;
    QRect segmentRect(int modelRow, int segment) const;
    // The segment under a viewport point: (model row, segment index), or (-1, -1).
    std::pair<int, int> segmentAt(const QPoint& pos) const;
    int xOf(qint64 ms) const;
    static constexpr int kLabelWidth = 190;
    static constexpr int kAxisHeight = 24;

Q_SIGNALS:
    void stepSelected(int modelRow);
    void stepActivated(int modelRow); // double-click: open its source line

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    bool viewportEvent(QEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;

private:
    void rebuildRows();
    void applyView(qint64 start, qint64 span);
    void updateScrollBars();
    void paintAxis(QPainter& p);
    void paintRow(QPainter& p, int visibleIndex);
    int rowHeight() const;
    // A segment's bar in a row's rectangle (segments made once per row, not per bar).
    QRect barRect(const QRect& row, const TimelineSegment& segment) const;
    int plotWidth() const;

    WorkflowStepsModel* m_model;
    std::vector<int> m_rows;
    QString m_filter;
    qint64 m_now = 0;
    qint64 m_start = 0, m_span = 1000;
    bool m_fitted = true; // follow the data as it grows until the person zooms or pans
    int m_selected = -1;
    QPoint m_dragFrom;
    qint64 m_dragStart = 0;
    bool m_dragging = false;
    bool m_syncingScroll = false;
};

} // namespace kiln
