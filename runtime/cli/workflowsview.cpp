#include "cli/workflowsview.h"

#include "cli/texttable.h"
#include "stores/workflowjson.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

#include <cstdio>

namespace kiln {

namespace {

QJsonValue isoTime(qint64 ms) {
    if (ms <= 0) return QJsonValue::Null;
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

QJsonValue errorJson(const QString& name, const QString& message) {
    if (name.isEmpty() && message.isEmpty()) return QJsonValue::Null;
    return QJsonObject{{QStringLiteral("name"), name}, {QStringLiteral("message"), message}};
}

// Cloudflare calls a `step.do` a "step".
QString apiStepType(WorkflowStepKind kind) {
    return kind == WorkflowStepKind::Do ? QStringLiteral("step") : workflowStepKindName(kind);
}

QJsonValue stepSuccess(const WorkflowStep& s) {
    if (s.state == QLatin1String("complete")) return true;
    if (s.state == QLatin1String("errored")) return false;
    return QJsonValue::Null; // still running, waiting or retrying
}

qint64 lastModified(const WorkflowInstance& i) {
    return std::max({i.createdMs, i.startedMs, i.endedMs});
}

QString compact(const QJsonValue& value) {
    return QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact))
        .mid(1)
        .chopped(1);
}

// Labels left, values aligned two spaces after the longest label (wrangler's layout).
void printLabelled(const QList<QPair<QString, QString>>& rows, int indent = 0) {
    qsizetype width = 0;
    for (const auto& row : rows)
        width = std::max(width, row.first.size() + 1);
    const QString pad(indent, QLatin1Char(' '));
    for (const auto& [label, value] : rows) {
        const QString head = pad + (label + QLatin1Char(':')).leftJustified(width + 2);
        QStringList lines = value.split(QLatin1Char('\n'));
        for (int i = 1; i < lines.size(); ++i)
            lines[i] = QString(head.size(), QLatin1Char(' ')) + lines[i];
        printf("%s%s\n", qPrintable(head), qPrintable(lines.join(QLatin1Char('\n'))));
    }
}

QString spanText(qint64 start, qint64 end, qint64 now) {
    if (start <= 0) return {};
    return workflowDurationText((end > 0 ? end : now) - start);
}

} // namespace

QString workflowStatusLabel(WorkflowStatus status) {
    switch (status) {
    case WorkflowStatus::Complete:
        return QStringLiteral("\u2705 Completed");
    case WorkflowStatus::Errored:
        return QStringLiteral("\u274c Errored");
    case WorkflowStatus::Paused:
        return QStringLiteral("\u23f8\ufe0f Paused");
    case WorkflowStatus::Queued:
        return QStringLiteral("\u231b Queued");
    case WorkflowStatus::Running:
        return QStringLiteral("\u25b6 Running");
    case WorkflowStatus::Terminated:
        return QStringLiteral("\U0001f6ab Terminated");
    case WorkflowStatus::Waiting:
        return QStringLiteral("\u23f0 Waiting");
    case WorkflowStatus::WaitingForPause:
        return QStringLiteral("\u23f1\ufe0f Waiting for Pause");
    case WorkflowStatus::Unknown:
        break;
    }
    return QStringLiteral("\u2753 Unknown");
}

QString workflowTimeText(qint64 ms) {
    if (ms <= 0) return {};
    return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

QJsonObject workflowInstanceSummaryJson(const WorkflowInstance& i) {
    return {{QStringLiteral("id"), i.id},
            {QStringLiteral("status"), workflowStatusName(i.status)},
            {QStringLiteral("created_on"), isoTime(i.createdMs)},
            {QStringLiteral("modified_on"), isoTime(lastModified(i))}};
}

QJsonObject workflowInstanceDetailJson(const WorkflowInstance& i,
                                       const std::vector<WorkflowStep>& steps) {
    QJsonArray stepArray;
    for (const WorkflowStep& s : steps) {
        QJsonObject step{{QStringLiteral("name"), s.name},
                         {QStringLiteral("type"), apiStepType(s.kind)},
                         {QStringLiteral("start"), isoTime(s.startedMs)},
                         {QStringLiteral("end"), isoTime(s.endedMs)}};
        if (s.kind == WorkflowStepKind::Do) {
            step.insert(QStringLiteral("success"), stepSuccess(s));
            QJsonArray attempts;
            for (const WorkflowAttempt& a : s.attempts)
                attempts.append(QJsonObject{
                    {QStringLiteral("start"), isoTime(a.startedMs)},
                    {QStringLiteral("end"), isoTime(a.endedMs)},
                    {QStringLiteral("success"),
                     a.endedMs > 0 ? QJsonValue(a.success) : QJsonValue(QJsonValue::Null)},
                    {QStringLiteral("error"), errorJson(a.errorName, a.errorMessage)}});
            step.insert(QStringLiteral("attempts"), attempts);
            step.insert(QStringLiteral("config"), workflowJsonValue(s.config));
        } else {
            step.insert(QStringLiteral("finished"), s.endedMs > 0);
            if (s.untilMs) step.insert(QStringLiteral("until"), isoTime(*s.untilMs));
            if (s.kind == WorkflowStepKind::WaitForEvent)
                step.insert(QStringLiteral("error"), errorJson(s.errorName, s.errorMessage));
        }
        if (s.kind != WorkflowStepKind::Sleep && !s.output.isNull())
            step.insert(QStringLiteral("output"), workflowJsonValue(s.output));
        stepArray.append(step);
    }
    const bool finished = workflowStatusFinished(i.status);
    return {
        {QStringLiteral("id"), i.id},
        {QStringLiteral("status"), workflowStatusName(i.status)},
        {QStringLiteral("params"), workflowJsonValue(i.params)},
        {QStringLiteral("trigger"), QJsonObject{{QStringLiteral("source"), QStringLiteral("api")}}},
        {QStringLiteral("queued"), isoTime(i.createdMs)},
        {QStringLiteral("start"), isoTime(i.startedMs)},
        {QStringLiteral("end"), isoTime(i.endedMs)},
        {QStringLiteral("success"),
         finished ? QJsonValue(i.status == WorkflowStatus::Complete) : QJsonValue::Null},
        {QStringLiteral("error"), errorJson(i.errorName, i.errorMessage)},
        {QStringLiteral("output"), workflowJsonValue(i.output)},
        {QStringLiteral("steps"), stepArray},
    };
}

void printWorkflowInstance(const QString& workflow, const WorkflowInstance& i,
                           const std::vector<WorkflowStep>& steps,
                           const WorkflowDescribeOptions& options) {
    QList<QPair<QString, QString>> head{
        {QStringLiteral("Workflow Name"), workflow},
        {QStringLiteral("Instance Id"), i.id},
        {QStringLiteral("Status"), workflowStatusLabel(i.status)},
        {QStringLiteral("Trigger"), QStringLiteral("\U0001f30e API")},
        {QStringLiteral("Queued"), workflowTimeText(i.createdMs)}};
    if (workflowStatusFinished(i.status))
        head.append({QStringLiteral("Success"), i.status == WorkflowStatus::Complete
                                                    ? QStringLiteral("\u2705 Yes")
                                                    : QStringLiteral("\u274c No")});
    if (i.startedMs > 0) head.append({QStringLiteral("Start"), workflowTimeText(i.startedMs)});
    if (i.endedMs > 0) head.append({QStringLiteral("End"), workflowTimeText(i.endedMs)});
    if (i.startedMs > 0)
        head.append({QStringLiteral("Duration"), spanText(i.startedMs, i.endedMs, options.nowMs)});
    QString lastGood;
    for (const WorkflowStep& s : steps)
        if (s.state == QLatin1String("complete") && s.kind != WorkflowStepKind::WaitForEvent)
            lastGood = s.name;
    if (!lastGood.isEmpty()) head.append({QStringLiteral("Last Successful Step"), lastGood});
    if (!i.errorName.isEmpty() || !i.errorMessage.isEmpty())
        head.append({QStringLiteral("Error"), i.errorName + QStringLiteral(": ") + i.errorMessage});
    if (!i.output.isNull())
        head.append({QStringLiteral("Output"), compact(workflowJsonValue(i.output))});
    printLabelled(head);
    printf("Steps:\n");

    for (const WorkflowStep& s : steps) {
        printf("\n");
        const QString type = s.kind == WorkflowStepKind::Do ? QStringLiteral("\U0001f3af Step")
                             : s.kind == WorkflowStepKind::Sleep
                                 ? QStringLiteral("\U0001f4a4 Sleeping")
                                 : QStringLiteral("\U0001f440 Waiting for event");
        QList<QPair<QString, QString>> rows{{QStringLiteral("Name"), s.name},
                                            {QStringLiteral("Type"), type}};
        if (s.startedMs > 0) rows.append({QStringLiteral("Start"), workflowTimeText(s.startedMs)});
        if (s.endedMs > 0)
            rows.append({QStringLiteral("End"), workflowTimeText(s.endedMs)});
        else if (s.untilMs) // a sleep's or a wait's end, still ahead
            rows.append({QStringLiteral("Until"), workflowTimeText(*s.untilMs)});
        if (s.startedMs > 0)
            rows.append(
                {QStringLiteral("Duration"), spanText(s.startedMs, s.endedMs, options.nowMs)});
        if (s.kind == WorkflowStepKind::Do) {
            const QJsonValue success = stepSuccess(s);
            rows.append(
                {QStringLiteral("Success"), success.isNull()   ? QStringLiteral("\u25b6 Running")
                                            : success.toBool() ? QStringLiteral("\u2705 Yes")
                                                               : QStringLiteral("\u274c No")});
            if (success.isNull() && !s.attempts.empty() && s.attempts.back().retryAtMs)
                rows.append(
                    {QStringLiteral("Retries At"), workflowTimeText(*s.attempts.back().retryAtMs)});
            rows.append({QStringLiteral("Config"), compact(workflowJsonValue(s.config))});
        }
        if (s.kind == WorkflowStepKind::WaitForEvent && !s.errorMessage.isEmpty())
            rows.append(
                {QStringLiteral("Error"), s.errorName + QStringLiteral(": ") + s.errorMessage});
        if (s.kind != WorkflowStepKind::Sleep && !s.output.isNull() && options.stepOutput) {
            QString output = compact(workflowJsonValue(s.output));
            if (output.size() > options.truncateOutputLimit)
                output = output.left(options.truncateOutputLimit) +
                         QStringLiteral("[...output truncated]");
            rows.append({QStringLiteral("Output"), output});
        }
        printLabelled(rows, 2);
        if (s.kind != WorkflowStepKind::Do || s.attempts.empty()) continue;
        std::vector<QStringList> attempts;
        for (const WorkflowAttempt& a : s.attempts)
            attempts.push_back(
                {QString::number(a.attempt), workflowTimeText(a.startedMs),
                 workflowTimeText(a.endedMs), spanText(a.startedMs, a.endedMs, options.nowMs),
                 a.endedMs == 0 ? QStringLiteral("Working")
                 : a.success    ? QStringLiteral("Success")
                                : QStringLiteral("Error"),
                 a.errorName.isEmpty() ? QString()
                                       : a.errorName + QStringLiteral(": ") + a.errorMessage});
        printTextTable({QStringLiteral("Attempt"), QStringLiteral("Start"), QStringLiteral("End"),
                        QStringLiteral("Duration"), QStringLiteral("State"),
                        QStringLiteral("Error")},
                       attempts);
    }
}

void printWorkflowInstanceTable(const std::vector<WorkflowInstance>& instances, qint64 nowMs) {
    std::vector<QStringList> rows;
    for (const WorkflowInstance& i : instances)
        rows.push_back({i.id, workflowTimeText(i.createdMs), workflowStatusName(i.status),
                        spanText(i.startedMs, i.endedMs, nowMs)});
    printTextTable({QStringLiteral("Instance ID"), QStringLiteral("Created"),
                    QStringLiteral("Status"), QStringLiteral("Duration")},
                   rows);
}

} // namespace kiln
