#include "workflowsnapshot.h"

#include "stores/workflowjson.h"
#include "stores/workflowstore.h"

#include <QFileInfo>

namespace kiln {

WorkflowSnapshot loadWorkflowSnapshot(WorkflowStore& store, const QStringList& ids) {
    WorkflowSnapshot out;
    if (!QFileInfo::exists(store.path())) {
        out.missing = true;
        return out;
    }
    if (auto r = store.open(); !r) {
        out.error = r.error();
        return out;
    }
    auto version = store.dataVersion();
    auto all = store.instances();
    if (!version || !all) {
        out.error = !version ? version.error() : all.error();
        return out;
    }
    out.version = *version;
    out.instances = std::move(*all);
    for (const QString& id : ids) {
        auto steps = store.steps(id);
        if (!steps) {
            out.error = steps.error();
            return out;
        }
        out.steps[id] = std::move(*steps);
    }
    return out;
}

std::vector<TimelineSegment> timelineSegments(const WorkflowStep& step, qint64 now) {
    using K = TimelineSegment::Kind;
    std::vector<TimelineSegment> out;
    if (step.kind == WorkflowStepKind::Do) {
        for (size_t i = 0; i < step.attempts.size(); ++i) {
            const WorkflowAttempt& a = step.attempts[i];
            const bool running = a.endedMs == 0;
            const qint64 end = running ? std::max(now, a.startedMs) : a.endedMs;
            const bool interrupted = a.errorName == QLatin1String(kWorkflowInterrupted);
            const K kind = running       ? K::AttemptRunning
                           : a.success   ? K::AttemptSucceeded
                           : interrupted ? K::AttemptInterrupted
                                         : K::AttemptFailed;
            QString text = QStringLiteral("attempt %1 · %2")
                               .arg(a.attempt)
                               .arg(running ? QStringLiteral("running for %1")
                                                  .arg(workflowDurationText(end - a.startedMs))
                                            : workflowDurationText(end - a.startedMs));
            if (!a.success && !running)
                text += QStringLiteral("\n%1: %2").arg(a.errorName, a.errorMessage);
            out.push_back({kind, a.startedMs, end, text});
            if (!running && !a.success && a.retryAtMs) {
                const bool next = i + 1 < step.attempts.size();
                const qint64 waitEnd =
                    next ? step.attempts[i + 1].startedMs : std::max(*a.retryAtMs, a.endedMs);
                const qint64 shown = next ? waitEnd : std::min(waitEnd, std::max(now, a.endedMs));
                out.push_back({K::RetryWait, a.endedMs, shown,
                               QStringLiteral("waiting %1 to retry")
                                   .arg(workflowDurationText(waitEnd - a.endedMs))});
                if (!next && shown < waitEnd)
                    out.push_back({K::Planned, shown, waitEnd,
                                   QStringLiteral("retry due in %1")
                                       .arg(workflowDurationText(waitEnd - shown))});
            }
        }
        return out;
    }
    const bool sleep = step.kind == WorkflowStepKind::Sleep;
    const K kind = sleep ? K::Sleep : K::EventWait;
    const bool done = step.endedMs > 0;
    const qint64 end = done ? step.endedMs : std::max(now, step.startedMs);
    QString text =
        sleep ? QStringLiteral("sleep · %1").arg(workflowDurationText(end - step.startedMs))
              : QStringLiteral("waiting for an event · %1")
                    .arg(workflowDurationText(end - step.startedMs));
    if (!step.errorMessage.isEmpty())
        text += QStringLiteral("\n%1: %2").arg(step.errorName, step.errorMessage);
    out.push_back({kind, step.startedMs, end, text});
    if (!done && step.untilMs && *step.untilMs > end)
        out.push_back(
            {K::Planned, end, *step.untilMs,
             sleep ? QStringLiteral("sleeps %1 more").arg(workflowDurationText(*step.untilMs - end))
                   : QStringLiteral("times out in %1")
                         .arg(workflowDurationText(*step.untilMs - end))});
    return out;
}

} // namespace kiln
