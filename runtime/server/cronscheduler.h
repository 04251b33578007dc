#pragma once

#include "project/cronexpression.h"

#include <QDateTime>
#include <QObject>
#include <QStringList>
#include <QTimer>

#include <functional>
#include <vector>

namespace kiln {

// Fires a project's Cron Triggers (`triggers.crons`) at their minutes, in UTC, while
// `kiln dev` runs. One timer, armed for the next due minute across all expressions; when it
// is due, every expression matching that minute fires once, then the timer is re-armed.
//
// Wall-clock time is read from the clock function and never trusted across long waits: the
// timer wakes at least every maxWaitMs to re-read it, because QTimer counts monotonic time
// (which stands still while the machine sleeps) and knows nothing of clock changes. A due
// minute found more than a minute late is skipped, not replayed: after a sleep or a jump
// forward only the next due minute fires, never a burst. A step back of a few minutes right
// after a run does not run the same minutes again.
class CronScheduler : public QObject {
    Q_OBJECT
public:
    using Clock = std::function<QDateTime()>;
    // `scheduledMinute` is the UTC minute the run is for (what workerd calls scheduledTime).
    using Trigger = std::function<void(const QString& cron, const QDateTime& scheduledMinute)>;
    using Warning = std::function<void(const QString& message)>;

    // Invalid expressions are reported through `warning` here, once, and ignored; repeated
    // ones are kept once.
    CronScheduler(const QStringList& crons, Trigger trigger, Warning warning = {},
                  QObject* parent = nullptr);

    // Before start(). Default: QDateTime::currentDateTimeUtc. Tests inject a clock to run
    // a day's schedule in a second.
    void setClock(Clock clock) { m_clock = std::move(clock); }
    // How long the timer alone is trusted before the clock is read again (default 30 s);
    // takes effect at once.
    void setMaxWaitMs(int ms);
    int maxWaitMs() const { return m_maxWaitMs; }

    // Reports (once) expressions that can never fire, e.g. `0 0 30 2 *`, then arms the timer.
    void start();
    void stop();

    // The expressions that will fire, as written in the config, in config order.
    QStringList crons() const;
    // The minute the timer is armed for; invalid when stopped or nothing can fire.
    QDateTime nextDue() const { return m_due; }

Q_SIGNALS:
    // Due minutes from `firstMissed` up to (not including) `resumeAt` were skipped because
    // the machine slept or the clock jumped forward.
    void missed(const QDateTime& firstMissed, const QDateTime& resumeAt);

private:
    void wake();
    void arm(const QDateTime& now);

    std::vector<CronExpression> m_expressions;
    Trigger m_trigger;
    Warning m_warning;
    Clock m_clock;
    QTimer m_timer;
    QDateTime m_due;
    QDateTime m_lastFired;
    int m_maxWaitMs = 30000;
    bool m_started = false;
};

} // namespace kiln
