#pragma once

#include "profileresult.h"

#include <QWidget>

namespace kiln {

// The profiler pane's waterfall: per mode a bar for the whole start (spawn to first 200) and
// under it the worker's boot phases at their median start and length, on one time axis, so
// the modes compare at a glance and the longest phase stands out.
class PhaseWaterfall : public QWidget {
    Q_OBJECT
public:
    explicit PhaseWaterfall(QWidget* parent = nullptr);
    void setResult(const ProfileResult& result);
    // Geometry for tests: the bar of a mode's phase (-1: the whole start).
    QRect barRect(int mode, int phase) const;
    QSize sizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    int rowHeight() const;
    int rowTop(int mode, int phase) const;
    int xOf(double ms) const;
    ProfileResult m_result;
    double m_span = 1;
    static constexpr int kLabelWidth = 230;
};

} // namespace kiln
