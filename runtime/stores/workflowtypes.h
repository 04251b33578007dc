#pragma once

#include <QByteArray>
#include <QString>

#include <optional>
#include <vector>

namespace kiln {

// A Workflows failure as Cloudflare's engine reports it: a code ("instance.already_exists",
// "instance.not_found", ...) and its message, which the binding raises as WorkflowError.
struct WorkflowError {
    QString code;
    QString message;
    // As Cloudflare's engine words it: "(instance.already_exists) Workflow instance ..."; a
    // store failure (code "internal") is its message alone.
    QString text() const;
};

// An instance's status, with Cloudflare's names (status() reports them as strings).
enum class WorkflowStatus {
    Queued,
    Running,
    Paused,
    Waiting,
    WaitingForPause,
    Complete,
    Errored,
    Terminated,
    Unknown
};
QString workflowStatusName(WorkflowStatus status);
WorkflowStatus workflowStatusFromName(const QString& name); // Unknown when not a name
bool workflowStatusFinished(WorkflowStatus status);         // complete, errored, terminated

struct WorkflowInstance {
    QString id;
    QByteArray params; // JSON text
    WorkflowStatus status = WorkflowStatus::Queued;
    QByteArray output; // JSON text once complete; empty before
    QString errorName, errorMessage;
    qint64 createdMs = 0, startedMs = 0, endedMs = 0;
    std::optional<qint64> wakeMs; // when a sleeping, waiting or retrying instance goes on
    qint64 seq = 0;               // creation order ("latest" is the highest)
    qint64 run = 1; // which run of the instance is current: resume and restart begin another
};

// What a person can do to an instance.
enum class WorkflowAction { Pause, Resume, Terminate, Restart };

// An interrupted attempt's error name: the process running it died (kill -9, a crash).
inline constexpr char kWorkflowInterrupted[] = "Interrupted";

enum class WorkflowStepKind { Do, Sleep, WaitForEvent };
QString workflowStepKindName(WorkflowStepKind kind); // "do", "sleep", "waitForEvent"

struct WorkflowAttempt {
    int attempt = 1;
    qint64 startedMs = 0;
    qint64 endedMs = 0; // 0 while it runs
    bool success = false;
    QString errorName, errorMessage;
    std::optional<qint64> retryAtMs; // a failed attempt that will be retried: when
};

// One step of an instance's run as the engine recorded it (the replay log and the
// timeline's data). Steps are keyed by kind, name and occurrence: the second
// `step.do("fetch")` of a run is ("do", "fetch", 2), as Cloudflare's engine counts them.
struct WorkflowStep {
    QString key;
    QString name;
    int count = 1;
    WorkflowStepKind kind = WorkflowStepKind::Do;
    QString state;     // "running", "waiting", "complete", "errored"
    QByteArray output; // JSON text of a completed step's result (or the event received)
    QString errorName, errorMessage;
    QByteArray config; // JSON text: retries, timeout, as given
    qint64 startedMs = 0, endedMs = 0;
    std::optional<qint64> untilMs; // a sleep's end, an event wait's timeout
    QString source;                // "file:line" of the run() code that declared it, if known
    std::vector<WorkflowAttempt> attempts;
};

struct WorkflowEvent {
    qint64 seq = 0;
    QString type;
    QByteArray payload; // JSON text
    qint64 receivedMs = 0;
    QString consumedBy; // the waitForEvent step's key; empty while unclaimed
};

// Something the engine did to an instance, for the studio's live timeline and the log.
struct WorkflowActivity {
    QString workflow, instance;
    QString what;   // "status", "stepStarted", "stepFinished", "stepRetrying", "stepFailed"
    QString step;   // the step's key, for step activity
    QString detail; // the status name, or the error of a failed attempt
};

} // namespace kiln
