#include "stores/workflowtypes.h"

namespace kiln {

namespace {

constexpr std::pair<WorkflowStatus, const char*> kStatusNames[] = {
    {WorkflowStatus::Queued, "queued"},
    {WorkflowStatus::Running, "running"},
    {WorkflowStatus::Paused, "paused"},
    {WorkflowStatus::Waiting, "waiting"},
    {WorkflowStatus::WaitingForPause, "waitingForPause"},
    {WorkflowStatus::Complete, "complete"},
    {WorkflowStatus::Errored, "errored"},
    {WorkflowStatus::Terminated, "terminated"},
    {WorkflowStatus::Unknown, "unknown"},
};

} // namespace

QString WorkflowError::text() const {
    return code.isEmpty() || code == QLatin1String("internal")
               ? message
               : QStringLiteral("(%1) %2").arg(code, message);
}

QString workflowStatusName(WorkflowStatus status) {
    for (const auto& [s, name] : kStatusNames)
        if (s == status) return QLatin1String(name);
    return QStringLiteral("unknown");
}

WorkflowStatus workflowStatusFromName(const QString& name) {
    for (const auto& [s, text] : kStatusNames)
        if (name == QLatin1String(text)) return s;
    return WorkflowStatus::Unknown;
}

bool workflowStatusFinished(WorkflowStatus status) {
    return status == WorkflowStatus::Complete || status == WorkflowStatus::Errored ||
           status == WorkflowStatus::Terminated;
}

QString workflowStepKindName(WorkflowStepKind kind) {
    switch (kind) {
    case WorkflowStepKind::Do:
        return QStringLiteral("do");
    case WorkflowStepKind::Sleep:
        return QStringLiteral("sleep");
    case WorkflowStepKind::WaitForEvent:
        return QStringLiteral("waitForEvent");
    }
    return {};
}

} // namespace kiln
