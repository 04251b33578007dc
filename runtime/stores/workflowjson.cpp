#include "stores/workflowjson.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace kiln {

QJsonValue workflowJsonValue(const QByteArray& text) {
    if (text.isEmpty()) return QJsonValue::Null;
    // Wrapped in an array: QJsonDocument holds no scalar at the top level.
    const QJsonDocument doc = QJsonDocument::fromJson("[" + text + "]");
    return doc.isArray() ? doc.array().at(0) : QJsonValue(QJsonValue::Null);
}

namespace {

void putError(QJsonObject& out, const QString& name, const QString& message) {
    if (name.isEmpty() && message.isEmpty()) return;
    out.insert(QStringLiteral("error"),
               QJsonObject{{QStringLiteral("name"), name}, {QStringLiteral("message"), message}});
}

} // namespace

QJsonObject workflowInstanceJson(const WorkflowInstance& i) {
    QJsonObject out{
        {QStringLiteral("id"), i.id},
        {QStringLiteral("params"), workflowJsonValue(i.params)},
        {QStringLiteral("status"), workflowStatusName(i.status)},
        {QStringLiteral("created"), double(i.createdMs)},
        {QStringLiteral("started"), double(i.startedMs)},
        {QStringLiteral("ended"), double(i.endedMs)},
        {QStringLiteral("seq"), double(i.seq)},
        {QStringLiteral("run"), double(i.run)},
    };
    if (!i.output.isNull()) out.insert(QStringLiteral("output"), workflowJsonValue(i.output));
    if (i.wakeMs) out.insert(QStringLiteral("wake"), double(*i.wakeMs));
    putError(out, i.errorName, i.errorMessage);
    return out;
}

QJsonObject workflowStepJson(const WorkflowStep& s) {
    QJsonArray attempts;
    for (const WorkflowAttempt& a : s.attempts) {
        QJsonObject attempt{{QStringLiteral("attempt"), a.attempt},
                            {QStringLiteral("start"), double(a.startedMs)},
                            {QStringLiteral("end"), double(a.endedMs)},
                            {QStringLiteral("success"), a.success}};
        putError(attempt, a.errorName, a.errorMessage);
        if (a.retryAtMs) attempt.insert(QStringLiteral("retryAt"), double(*a.retryAtMs));
        attempts.append(attempt);
    }
    QJsonObject out{
        {QStringLiteral("key"), s.key},
        {QStringLiteral("name"), s.name},
        {QStringLiteral("count"), s.count},
        {QStringLiteral("type"), workflowStepKindName(s.kind)},
        {QStringLiteral("state"), s.state},
        {QStringLiteral("start"), double(s.startedMs)},
        {QStringLiteral("end"), double(s.endedMs)},
        {QStringLiteral("attempts"), attempts},
    };
    if (!s.output.isNull()) out.insert(QStringLiteral("output"), workflowJsonValue(s.output));
    if (!s.config.isEmpty()) out.insert(QStringLiteral("config"), workflowJsonValue(s.config));
    if (s.untilMs) out.insert(QStringLiteral("until"), double(*s.untilMs));
    if (!s.source.isEmpty()) out.insert(QStringLiteral("source"), s.source);
    putError(out, s.errorName, s.errorMessage);
    return out;
}

QJsonObject workflowEventJson(const WorkflowEvent& e) {
    QJsonObject out{{QStringLiteral("seq"), double(e.seq)},
                    {QStringLiteral("type"), e.type},
                    {QStringLiteral("payload"), workflowJsonValue(e.payload)},
                    {QStringLiteral("timestamp"), double(e.receivedMs)}};
    if (!e.consumedBy.isEmpty()) out.insert(QStringLiteral("consumedBy"), e.consumedBy);
    return out;
}

QString workflowDurationText(qint64 ms) {
    if (ms < 0) ms = 0;
    if (ms < 1000) return QStringLiteral("%1 ms").arg(ms);
    if (ms < 60'000)
        return QStringLiteral("%1 s").arg(double(ms) / 1000.0, 0, 'f', ms < 10'000 ? 2 : 1);
    const qint64 s = ms / 1000;
    if (s < 3600) return QStringLiteral("%1 min %2 s").arg(s / 60).arg(s % 60);
    return QStringLiteral("%1 h %2 min").arg(s / 3600).arg(s % 3600 / 60);
}

} // namespace kiln
