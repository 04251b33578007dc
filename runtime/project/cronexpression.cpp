#include "project/cronexpression.h"

#include <QStringList>
#include <QTime>

namespace kiln {

namespace {

struct FieldSpec {
    const char* name;
    int min;
    int max;
    const char* const* names; // 3-letter names for min..max, or null
    const char* hint;         // appended to range errors
};

const char* const kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
const char* const kWeekdayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

const FieldSpec kFields[] = {
    {"minute", 0, 59, nullptr, ""},
    {"hour", 0, 23, nullptr, ""},
    {"day-of-month", 1, 31, nullptr, ""},
    {"month", 1, 12, kMonthNames, " (or JAN-DEC)"},
    // The most common mistake by far is Unix numbering (0 = Sunday): say how Cloudflare counts.
    {"day-of-week", 1, 7, kWeekdayNames, " (1 = SUN ... 7 = SAT, or SUN-SAT)"},
};
enum Field { Minute, Hour, DayOfMonth, Month, DayOfWeek };

// About eleven years: the longest gap between two Feb 29ths is eight (2096 -> 2104).
constexpr int kSearchDays = 4018;

int cloudflareWeekday(const QDate& date) {
    return date.dayOfWeek() % 7 + 1;
} // Qt: MON=1..SUN=7

// Quartz `nW`: the weekday nearest to day n, never leaving the month; n == 0 means `LW`.
int nearestWeekday(const QDate& date, int n) {
    const int last = date.daysInMonth();
    if (n > last) return 0; // e.g. 31W in April: that month has no such day, so it does not fire
    const int day = n == 0 ? last : n;
    const int weekday = QDate(date.year(), date.month(), day).dayOfWeek();
    if (weekday == 6) // Saturday
        return day == 1 ? 3 : day - 1;
    if (weekday == 7) // Sunday
        return day == last ? day - 2 : day + 1;
    return day;
}

} // namespace

// Fills a CronExpression field by field; the first problem ends the parse.
class CronParser {
public:
    explicit CronParser(CronExpression& out)
        : m_out(out) {}

    bool field(Field which, const QString& text) {
        m_spec = &kFields[which];
        m_field = which;
        if (text.startsWith(QLatin1Char(',')) || text.endsWith(QLatin1Char(',')) ||
            text.contains(QStringLiteral(",,")))
            return fail(text, QStringLiteral("has an empty list item"));
        quint64 bits = 0;
        for (const QString& item : text.split(QLatin1Char(','))) {
            m_item = item;
            if (!special(item, bits) && !range(item, bits)) return false;
            if (!m_error.isEmpty()) return false;
        }
        const int span = m_spec->max - m_spec->min + 1;
        const bool full = bits == (((quint64(1) << span) - 1) << m_spec->min);
        switch (which) {
        case Minute:
            m_out.m_minutes = bits;
            break;
        case Hour:
            m_out.m_hours = static_cast<quint32>(bits);
            break;
        case Month:
            m_out.m_months = static_cast<quint16>(bits);
            break;
        case DayOfMonth:
            m_out.m_daysOfMonth = static_cast<quint32>(bits);
            m_out.m_dayOfMonthRestricted =
                !full || !m_out.m_lastDayOffsets.empty() || !m_out.m_nearestWeekdays.empty();
            break;
        case DayOfWeek:
            m_out.m_weekdays = static_cast<quint8>(bits);
            m_out.m_dayOfWeekRestricted =
                !full || m_out.m_lastWeekdays != 0 || !m_out.m_nthWeekdays.empty();
            break;
        }
        return true;
    }

    const QString& error() const { return m_error; }

private:
    bool fail(const QString& token, const QString& why) {
        m_error =
            QStringLiteral("%1 field: \"%2\" %3").arg(QLatin1String(m_spec->name), token, why);
        return false;
    }

    // One number or (month, weekday) name, checked against the field's range.
    bool value(const QString& token, int& out, int min = -1, int max = -1) {
        const bool fieldRange = min < 0;
        if (fieldRange) {
            min = m_spec->min;
            max = m_spec->max;
        }
        bool isNumber = !token.isEmpty();
        for (QChar c : token) // ASCII only: QString::toInt() reads no other digits
            isNumber = isNumber && c >= QLatin1Char('0') && c <= QLatin1Char('9');
        if (isNumber) {
            out = token.size() <= 4 ? token.toInt() : max + 1;
            if (out < min || out > max)
                return fail(token,
                            QStringLiteral("is out of range %1-%2%3")
                                .arg(min)
                                .arg(max)
                                .arg(fieldRange ? QLatin1String(m_spec->hint) : QLatin1String()));
            return true;
        }
        if (m_spec->names) {
            for (int i = 0; i <= m_spec->max - m_spec->min; ++i) {
                if (token.compare(QLatin1String(m_spec->names[i]), Qt::CaseInsensitive) == 0) {
                    out = m_spec->min + i;
                    return true;
                }
            }
            if (token.isEmpty()) return fail(m_item, QStringLiteral("is missing a number"));
            return fail(
                token,
                QStringLiteral("is not a number or a name%1").arg(QLatin1String(m_spec->hint)));
        }
        return token.isEmpty() ? fail(m_item, QStringLiteral("is missing a number"))
                               : fail(token, QStringLiteral("is not a number"));
    }

    // The Quartz extensions; false when `item` is not one (then it is parsed as a range).
    bool special(const QString& item, quint64& bits) {
        const QString upper = item.toUpper();
        int n = 0;
        if (m_field == DayOfMonth) {
            if (upper == QLatin1String("L") || upper == QLatin1String("LW")) {
                (item.size() == 1 ? m_out.m_lastDayOffsets : m_out.m_nearestWeekdays).push_back(0);
                return true;
            }
            if (upper.startsWith(QLatin1String("L-"))) {
                if (value(item.mid(2), n, 0, 30)) m_out.m_lastDayOffsets.push_back(n);
                return true;
            }
            if (upper.size() > 1 && upper.endsWith(QLatin1Char('W'))) {
                if (value(item.chopped(1), n)) m_out.m_nearestWeekdays.push_back(n);
                return true;
            }
        } else if (m_field == DayOfWeek) {
            if (upper == QLatin1String("L")) { // Quartz: a lone L is the last day of the week
                bits |= 1 << 7;
                return true;
            }
            if (upper.size() > 1 && upper.endsWith(QLatin1Char('L'))) {
                if (value(item.chopped(1), n)) m_out.m_lastWeekdays |= static_cast<quint8>(1 << n);
                return true;
            }
            const qsizetype hash = item.indexOf(QLatin1Char('#'));
            if (hash >= 0) {
                int nth = 0;
                if (value(item.left(hash), n) && value(item.mid(hash + 1), nth, 1, 5))
                    m_out.m_nthWeekdays.emplace_back(n, nth);
                return true;
            }
        }
        return false;
    }

    // `*`, `a`, `a-b`, each optionally `/step`; `a/step` runs from a to the field's maximum.
    bool range(const QString& item, quint64& bits) {
        const QStringList parts = item.split(QLatin1Char('/'));
        if (parts.size() > 2) return fail(item, QStringLiteral("has more than one '/'"));
        int from = m_spec->min, to = m_spec->max, step = 1;
        const QString& base = parts[0];
        if (base != QLatin1String("*")) {
            const QStringList bounds = base.split(QLatin1Char('-'));
            if (bounds.size() > 2) return fail(item, QStringLiteral("is not a range (use a-b)"));
            if (!value(bounds[0], from)) return false;
            to = bounds.size() == 2 || parts.size() == 2 ? to : from;
            if (bounds.size() == 2 && !value(bounds[1], to)) return false;
            if (to < from) return fail(item, QStringLiteral("is a backwards range"));
        }
        if (parts.size() == 2) {
            bool ok = false;
            step = parts[1].toInt(&ok);
            const int span = m_spec->max - m_spec->min + 1;
            if (!ok || step < 1 || step > span || parts[1].startsWith(QLatin1Char('+')))
                return fail(
                    item, QStringLiteral("has a step that is not a number from 1 to %1").arg(span));
        }
        for (int v = from; v <= to; v += step)
            bits |= quint64(1) << v;
        return true;
    }

    CronExpression& m_out;
    const FieldSpec* m_spec = nullptr;
    Field m_field = Minute;
    QString m_item; // the list item being read, for errors about what is missing in it
    QString m_error;
};

std::expected<CronExpression, QString> CronExpression::parse(const QString& text) {
    const QStringList fields = text.simplified().split(QLatin1Char(' '), Qt::SkipEmptyParts);
    if (fields.size() != 5)
        return std::unexpected(QStringLiteral("expected 5 fields (minute hour day-of-month month "
                                              "day-of-week), found %1")
                                   .arg(fields.size()));
    CronExpression out;
    out.m_text = text;
    CronParser parser(out);
    for (int i = 0; i < 5; ++i) {
        if (!parser.field(static_cast<Field>(i), fields[i])) return std::unexpected(parser.error());
    }
    return out;
}

bool CronExpression::matchesDay(const QDate& date) const {
    if (!(m_months & (1u << date.month()))) return false;
    const int day = date.day();
    const int last = date.daysInMonth();
    const int weekday = cloudflareWeekday(date);
    const auto dayOfMonthHit = [&] {
        if (m_daysOfMonth & (1u << day)) return true;
        for (int offset : m_lastDayOffsets)
            if (day == last - offset) return true;
        for (int n : m_nearestWeekdays)
            if (day == nearestWeekday(date, n)) return true;
        return false;
    };
    const auto dayOfWeekHit = [&] {
        if (m_weekdays & (1u << weekday)) return true;
        if ((m_lastWeekdays & (1u << weekday)) && day + 7 > last) return true;
        for (const auto& [wd, nth] : m_nthWeekdays)
            if (wd == weekday && (day - 1) / 7 + 1 == nth) return true;
        return false;
    };
    if (m_dayOfMonthRestricted && m_dayOfWeekRestricted) return dayOfMonthHit() || dayOfWeekHit();
    if (m_dayOfMonthRestricted) return dayOfMonthHit();
    if (m_dayOfWeekRestricted) return dayOfWeekHit();
    return true;
}

bool CronExpression::matches(const QDateTime& utcMinute) const {
    if (!utcMinute.isValid()) return false;
    const QDateTime utc = utcMinute.toUTC();
    const QTime time = utc.time();
    return (m_minutes & (quint64(1) << time.minute())) && (m_hours & (1u << time.hour())) &&
           matchesDay(utc.date());
}

QDateTime CronExpression::next(const QDateTime& afterUtc) const {
    if (!afterUtc.isValid()) return {};
    const QDateTime after = afterUtc.toUTC();
    const QDateTime start =
        QDateTime(after.date(), QTime(after.time().hour(), after.time().minute()), Qt::UTC)
            .addSecs(60);
    QDate date = start.date();
    int fromHour = start.time().hour();
    int fromMinute = start.time().minute();
    // Day by day, then hour and minute inside a matching day: a few thousand cheap steps at
    // most, so an expression that can never fire costs microseconds, not a hang.
    for (int i = 0; i < kSearchDays; ++i, date = date.addDays(1), fromHour = fromMinute = 0) {
        if (!matchesDay(date)) continue;
        for (int hour = fromHour; hour < 24; ++hour) {
            if (!(m_hours & (1u << hour))) continue;
            for (int minute = hour == fromHour ? fromMinute : 0; minute < 60; ++minute) {
                if (m_minutes & (quint64(1) << minute))
                    return QDateTime(date, QTime(hour, minute), Qt::UTC);
            }
        }
    }
    return {};
}

} // namespace kiln
