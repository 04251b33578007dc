#include "phasewaterfall.h"

#include <QPainter>

namespace kiln {

PhaseWaterfall::PhaseWaterfall(QWidget* parent)
    : QWidget(parent) {
    setMinimumHeight(120);
}

void PhaseWaterfall::setResult(const ProfileResult& result) {
    m_result = result;
    m_span = 1;
    for (const auto& mode : m_result.modes) {
        const auto it = mode.figures.find(QStringLiteral("first 200"));
        if (it != mode.figures.end()) m_span = std::max(m_span, it->second.median);
        for (const auto& p : mode.phases)
            m_span = std::max(m_span, p.startMs + p.durationMs);
    }
    updateGeometry();
    update();
}

int PhaseWaterfall::rowHeight() const {
    return fontMetrics().height() + 6;
}

int PhaseWaterfall::rowTop(int mode, int phase) const {
    int top = 4 + rowHeight(); // the axis
    for (int m = 0; m < mode; ++m)
        top += (int(m_result.modes[size_t(m)].phases.size()) + 2) * rowHeight();
    return top + (phase + 1) * rowHeight();
}

int PhaseWaterfall::xOf(double ms) const {
    const int plot = std::max(40, width() - kLabelWidth - 12);
    return kLabelWidth + int(ms / m_span * plot);
}

QRect PhaseWaterfall::barRect(int mode, int phase) const {
    if (mode < 0 || mode >= int(m_result.modes.size())) return {};
    const auto& m = m_result.modes[size_t(mode)];
    double start = 0, length = 0;
    if (phase < 0) {
        const auto it = m.figures.find(QStringLiteral("first 200"));
        length = it == m.figures.end() ? 0 : it->second.median;
    } else if (phase < int(m.phases.size())) {
        start = m.phases[size_t(phase)].startMs;
        length = m.phases[size_t(phase)].durationMs;
    } else {
        return {};
    }
    const int top = rowTop(mode, phase) + 3;
    return QRect(QPoint(xOf(start), top),
                 QPoint(std::max(xOf(start + length), xOf(start) + 2), top + rowHeight() - 7));
}

QSize PhaseWaterfall::sizeHint() const {
    int rows = 1;
    for (const auto& m : m_result.modes)
        rows += int(m.phases.size()) + 2;
    return QSize(700, rows * rowHeight() + 8);
}

void PhaseWaterfall::paintEvent(QPaintEvent*) {
    QPainter p(this);
    const QPalette& pal = palette();
    p.fillRect(rect(), pal.color(QPalette::Base));
    if (m_result.modes.empty()) {
        p.setPen(pal.color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter, tr("Run a profile to see where the start goes"));
        return;
    }
    // The axis: ms from the spawn.
    double step = 1;
    while (m_span / step > 8)
        step *= (QString::number(step).startsWith(QLatin1Char('2')) ? 2.5 : 2);
    p.setPen(pal.color(QPalette::WindowText));
    for (double t = 0; t <= m_span; t += step) {
        const int x = xOf(t);
        p.setPen(pal.color(QPalette::Mid));
        p.drawLine(x, rowHeight(), x, height());
        p.setPen(pal.color(QPalette::WindowText));
        p.drawText(QRect(x + 3, 2, 100, rowHeight()), Qt::AlignVCenter | Qt::AlignLeft,
                   QStringLiteral("%1 ms").arg(t));
    }
    // The longest phase of all, highlighted: what to go after first.
    double longest = 0;
    for (const auto& m : m_result.modes)
        for (const auto& ph : m.phases)
            longest = std::max(longest, ph.durationMs);
    const QColor phaseColor(66, 133, 244), hot(229, 57, 53), total(120, 120, 120);
    for (int mi = 0; mi < int(m_result.modes.size()); ++mi) {
        const auto& m = m_result.modes[size_t(mi)];
        const auto it = m.figures.find(QStringLiteral("first 200"));
        const double first = it == m.figures.end() ? 0 : it->second.median;
        QFont bold = font();
        bold.setBold(true);
        p.setFont(bold);
        p.setPen(pal.color(QPalette::WindowText));
        p.drawText(QRect(6, rowTop(mi, -1), kLabelWidth - 10, rowHeight()),
                   Qt::AlignVCenter | Qt::AlignLeft,
                   QStringLiteral("%1: %2 ms").arg(m.name).arg(first, 0, 'f', 0));
        p.setFont(font());
        p.fillRect(barRect(mi, -1), total);
        for (int pi = 0; pi < int(m.phases.size()); ++pi) {
            const auto& ph = m.phases[size_t(pi)];
            p.setPen(pal.color(QPalette::WindowText));
            p.drawText(QRect(18, rowTop(mi, pi), kLabelWidth - 22, rowHeight()),
                       Qt::AlignVCenter | Qt::AlignLeft,
                       fontMetrics().elidedText(
                           QStringLiteral("%1  %2 ms").arg(ph.name).arg(ph.durationMs, 0, 'f', 1),
                           Qt::ElideMiddle, kLabelWidth - 24));
            p.fillRect(barRect(mi, pi), ph.durationMs >= longest ? hot : phaseColor);
        }
    }
}

} // namespace kiln
