#include "profileresult.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>

namespace kiln {

ProfileResult ProfileResult::fromJson(const QJsonObject& report) {
    ProfileResult out;
    out.when = QDateTime::currentDateTime();
    const QJsonObject modes = report.value(QStringLiteral("modes")).toObject();
    // In the order kiln profile runs them: no caches, code cache, then the snapshot tiers.
    static const QStringList order{QStringLiteral("no caches"), QStringLiteral("code cache"),
                                   QStringLiteral("baseline snapshot"),
                                   QStringLiteral("package snapshot"),
                                   QStringLiteral("dedicated snapshot")};
    QStringList names = modes.keys();
    std::sort(names.begin(), names.end(), [](const QString& a, const QString& b) {
        const auto rank = [](const QString& m) {
            const qsizetype i = order.indexOf(m);
            return i < 0 ? order.size() : i;
        };
        return rank(a) < rank(b);
    });
    for (const QString& name : names) {
        const QJsonObject m = modes.value(name).toObject();
        Mode mode{name, {}, {}};
        for (auto it = m.begin(); it != m.end(); ++it) {
            if (it.key() == QLatin1String("phases")) continue;
            const QJsonObject f = it.value().toObject();
            mode.figures[it.key()] = {f.value(QStringLiteral("median")).toDouble(),
                                      f.value(QStringLiteral("min")).toDouble(),
                                      f.value(QStringLiteral("max")).toDouble()};
        }
        for (const QJsonValue& v : m.value(QStringLiteral("phases")).toArray())
            mode.phases.push_back({v[QStringLiteral("name")].toString(),
                                   v[QStringLiteral("startMs")].toDouble(),
                                   v[QStringLiteral("durationMs")].toDouble()});
        out.modes.push_back(std::move(mode));
    }
    for (const QJsonValue& v : report.value(QStringLiteral("imports")).toArray())
        out.imports.push_back(
            {v[QStringLiteral("module")].toString(), v[QStringLiteral("depth")].toInt(),
             v[QStringLiteral("selfUs")].toDouble(), v[QStringLiteral("cumulativeUs")].toDouble()});
    for (const QJsonValue& v : report.value(QStringLiteral("checks")).toArray())
        out.checks.push_back({v[QStringLiteral("name")].toString(),
                              v[QStringLiteral("verdict")].toString(),
                              v[QStringLiteral("detail")].toString()});
    return out;
}

const ProfileResult::Mode* ProfileResult::mode(const QString& name) const {
    for (const Mode& m : modes)
        if (m.name == name) return &m;
    return nullptr;
}

ProfileHistory ProfileHistory::load(const QString& file) {
    ProfileHistory out;
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) return out;
    for (const QJsonValue& v : QJsonDocument::fromJson(f.readAll()).array()) {
        Entry e;
        e.when = QDateTime::fromString(v[QStringLiteral("when")].toString(), Qt::ISODate);
        const QJsonObject ms = v[QStringLiteral("firstResponseMs")].toObject();
        for (auto it = ms.begin(); it != ms.end(); ++it)
            e.firstResponseMs[it.key()] = it.value().toDouble();
        if (e.when.isValid()) out.entries.push_back(std::move(e));
    }
    return out;
}

bool ProfileHistory::save(const QString& file) const {
    QJsonArray array;
    for (const Entry& e : entries) {
        QJsonObject ms;
        for (const auto& [mode, v] : e.firstResponseMs)
            ms.insert(mode, v);
        array.append(QJsonObject{{QStringLiteral("when"), e.when.toString(Qt::ISODate)},
                                 {QStringLiteral("firstResponseMs"), ms}});
    }
    QSaveFile f(file);
    if (!f.open(QIODevice::WriteOnly)) return false;
    f.write(QJsonDocument(array).toJson());
    return f.commit();
}

void ProfileHistory::add(const ProfileResult& result) {
    Entry e{result.when, {}};
    for (const auto& m : result.modes) {
        const auto it = m.figures.find(QStringLiteral("first 200"));
        if (it != m.figures.end()) e.firstResponseMs[m.name] = it->second.median;
    }
    entries.push_back(std::move(e));
}

} // namespace kiln
