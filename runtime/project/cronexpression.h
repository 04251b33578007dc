#pragma once

#include <QDate>
#include <QDateTime>
#include <QString>

#include <expected>
#include <utility>
#include <vector>

namespace kiln {

// One Cron Trigger schedule in Cloudflare's syntax, evaluated in UTC as Cloudflare does.
// Five fields: minute (0-59), hour (0-23), day-of-month (1-31), month (1-12 or JAN-DEC),
// day-of-week (1-7 or SUN-SAT, where 1 = SUN and 7 = SAT: Quartz numbering, which Cloudflare
// documents and enforces, so `0` is rejected as it is on deploy). Every field takes `*`,
// lists, ranges and steps (`*/5`, `1-30/2`, `5/15`); day-of-month also takes `L`, `L-n`,
// `nW` and `LW`; day-of-week takes `nL` (last such weekday of the month), `n#k` (k-th such
// weekday) and `L` (Saturday). Names are case-insensitive. When both day fields are
// restricted a day matches either (standard cron), otherwise the restricted one decides.
class CronExpression {
public:
    // The error names the field and the offending token, e.g.
    // `minute field: "61" is out of range 0-59`.
    static std::expected<CronExpression, QString> parse(const QString& text);

    const QString& text() const { return m_text; }
    // Whether the minute holding `utcMinute` (seconds ignored) is scheduled.
    bool matches(const QDateTime& utcMinute) const;
    // The first scheduled minute strictly after `afterUtc`, in UTC; invalid when there is none
    // within the next eleven years (enough for any Feb 29, e.g. `0 0 30 2 *` has none).
    QDateTime next(const QDateTime& afterUtc) const;
    bool matchesDay(const QDate& date) const;

private:
    friend class CronParser;

    QString m_text;
    quint64 m_minutes = 0;              // bit n: minute n
    quint32 m_hours = 0;                // bit n: hour n
    quint32 m_daysOfMonth = 0;          // bit n: day n (1-31)
    quint16 m_months = 0;               // bit n: month n (1-12)
    quint8 m_weekdays = 0;              // bit n: Cloudflare weekday n (1 = SUN ... 7 = SAT)
    quint8 m_lastWeekdays = 0;          // `nL`: bit n set
    std::vector<int> m_lastDayOffsets;  // `L` (0), `L-n` (n)
    std::vector<int> m_nearestWeekdays; // `nW` (n), `LW` (0)
    std::vector<std::pair<int, int>> m_nthWeekdays; // `n#k`: (weekday, k)
    bool m_dayOfMonthRestricted = false;
    bool m_dayOfWeekRestricted = false;
};

} // namespace kiln
