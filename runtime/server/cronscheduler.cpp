#include "server/cronscheduler.h"

#include <algorithm>

namespace kiln {

namespace {

// A run this late is not a run of that minute any more: the minute is over.
constexpr qint64 kLateMs = 60 * 1000;
// Clock steps back smaller than this (NTP corrections, a VM resyncing) keep the schedule's
// place, so a minute that already ran is not run again; larger ones mean the clock was set,
// and the schedule restarts from the new time.
constexpr qint64 kBackwardToleranceMs = 5 * 60 * 1000;

} // namespace

CronScheduler::CronScheduler(const QStringList& crons, Trigger trigger, Warning warning,
                             QObject* parent)
    : QObject(parent)
    , m_trigger(std::move(trigger))
    , m_warning(std::move(warning))
    , m_clock([] { return QDateTime::currentDateTimeUtc(); })
    , m_timer(this) {
    QStringList seen;
    for (const QString& cron : crons) {
        if (seen.contains(cron)) continue;
        seen << cron;
        auto parsed = CronExpression::parse(cron);
        if (parsed)
            m_expressions.push_back(std::move(*parsed));
        else if (m_warning)
            m_warning(QStringLiteral("cron \"%1\" ignored: %2").arg(cron, parsed.error()));
    }
    m_timer.setSingleShot(true);
    // A coarse timer may wake seconds away from the minute boundary on long waits.
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &CronScheduler::wake);
}

QStringList CronScheduler::crons() const {
    QStringList out;
    for (const CronExpression& expression : m_expressions)
        out << expression.text();
    return out;
}

void CronScheduler::start() {
    if (m_started) return;
    m_started = true;
    const QDateTime now = m_clock().toUTC();
    const auto never = [&](const CronExpression& expression) {
        if (expression.next(now).isValid()) return false;
        if (m_warning)
            m_warning(QStringLiteral("cron \"%1\" ignored: it never fires (no such date)")
                          .arg(expression.text()));
        return true;
    };
    std::erase_if(m_expressions, never);
    arm(now);
}

void CronScheduler::setMaxWaitMs(int ms) {
    m_maxWaitMs = ms;
    if (m_timer.isActive()) arm(m_clock().toUTC());
}

void CronScheduler::stop() {
    m_timer.stop();
    m_due = {};
    m_started = false;
}

void CronScheduler::wake() {
    const QDateTime now = m_clock().toUTC();
    if (m_due.isValid() && now >= m_due) {
        const QDateTime due = m_due;
        if (due.msecsTo(now) < kLateMs) {
            m_lastFired = due;
            // Copy the texts first: a trigger may stop() or otherwise re-enter the scheduler.
            QStringList firing;
            for (const CronExpression& expression : m_expressions)
                if (expression.matches(due)) firing << expression.text();
            for (const QString& cron : firing)
                m_trigger(cron, due);
            if (!m_started) return;
        } else {
            arm(now);
            Q_EMIT missed(due, m_due);
            return;
        }
    }
    arm(now);
}

void CronScheduler::arm(const QDateTime& now) {
    QDateTime from = now;
    if (m_lastFired.isValid() && now < m_lastFired &&
        now.msecsTo(m_lastFired) <= kBackwardToleranceMs)
        from = m_lastFired;
    m_due = {};
    for (const CronExpression& expression : m_expressions) {
        const QDateTime next = expression.next(from);
        if (next.isValid() && (!m_due.isValid() || next < m_due)) m_due = next;
    }
    if (!m_due.isValid()) {
        m_timer.stop();
        return;
    }
    // Never wait longer than maxWaitMs on the timer alone: see the class comment.
    const qint64 wait = std::clamp<qint64>(now.msecsTo(m_due), 0, m_maxWaitMs);
    m_timer.start(static_cast<int>(wait));
}

} // namespace kiln
