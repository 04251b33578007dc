#pragma once

#include "stores/sqlitedb.h"
#include "stores/workflowtypes.h"

#include <QMutex>

#include <expected>
#include <functional>
#include <optional>
#include <vector>

namespace kiln {

// One workflow's durable state (`<persist>/workflows/<name>.sqlite`): its instances, every
// step attempt and the events sent to them. The engine records a step before and after it
// runs; a replay after a restart reads completed steps back instead of running them again,
// so a kill -9 at any moment re-runs at most the step that was in flight. Thread-safe (one
// connection behind a mutex); every write is one fsynced transaction. Times are passed in
// (ms since the epoch) so tests need not sleep.
class WorkflowStore {
public:
    static constexpr int kMaxIdLength = 100;
    static constexpr int kMaxStepNameLength = 256;

    explicit WorkflowStore(QString path);
    std::expected<void, QString> open();
    const QString& path() const { return m_path; }

    // Cloudflare's rule: 1-100 characters of [a-zA-Z0-9_-], not starting with "-".
    static bool validInstanceId(const QString& id);
    static bool validStepName(const QString& name);
    static QString stepKey(WorkflowStepKind kind, const QString& name, int count);

    // A new queued instance; `id` empty: a random UUID. Duplicate ids are refused with
    // Cloudflare's error; a batch is created whole or not at all.
    std::expected<WorkflowInstance, WorkflowError> create(const QString& id,
                                                          const QByteArray& params, qint64 nowMs);
    std::expected<std::vector<WorkflowInstance>, WorkflowError>
    createBatch(const std::vector<std::pair<QString, QByteArray>>& idsAndParams, qint64 nowMs);
    std::expected<std::optional<WorkflowInstance>, QString> instance(const QString& id);
    // Newest first.
    std::expected<std::vector<WorkflowInstance>, QString> instances();
    // The status and, when it ends, the output or error; started/ended times follow it. With
    // `run`, only while that run is the instance's current one (false: it is not).
    std::expected<bool, WorkflowError> setStatus(const QString& id, WorkflowStatus status,
                                                 qint64 nowMs, const QByteArray& output = {},
                                                 const QString& errorName = {},
                                                 const QString& errorMessage = {},
                                                 std::optional<qint64> run = {});
    // A person's pause, resume, terminate or restart (binding, CLI or studio), with
    // Cloudflare's transitions: pause makes a running instance waitingForPause (the engine
    // pauses it at the next step boundary) and a waiting one paused; resume makes it queued
    // again; terminate refuses a finished instance; restart forgets the steps from
    // `restartFromKey` (all without one). Resume and restart begin a new run. Returns the
    // status it leaves.
    std::expected<WorkflowStatus, WorkflowError> control(const QString& id, WorkflowAction action,
                                                         qint64 nowMs,
                                                         const QString& restartFromKey = {});
    // Deletes an instance with its steps and events.
    std::expected<void, WorkflowError> remove(const QString& id);
    // Changes when another connection (a CLI, the studio, another process) commits.
    std::expected<qint64, QString> dataVersion();
    // Attempts a killed process left open are closed as interrupted: they ran, but did not
    // fail, so they do not count against the step's retries. Returns how many.
    std::expected<int, QString> closeInterrupted(const QString& id, qint64 nowMs);
    std::expected<void, QString> setWake(const QString& id, std::optional<qint64> wakeMs);
    // Instances not finished, for the engine to resume at start.
    std::expected<std::vector<WorkflowInstance>, QString> unfinished();

    // Steps.
    std::expected<std::optional<WorkflowStep>, QString> step(const QString& instanceId,
                                                             const QString& key);
    std::expected<std::vector<WorkflowStep>, QString> steps(const QString& instanceId);
    // Starts attempt N+1 of a step (creating it on the first): returns N+1. `source`
    // ("file:line" of the run() code that declared the step) is kept from the first.
    std::expected<int, QString> beginAttempt(const QString& instanceId, WorkflowStepKind kind,
                                             const QString& name, int count,
                                             const QByteArray& config, qint64 nowMs,
                                             const QString& source = {});
    // Ends the attempt. Success completes the step with `output`; failure with `retryAtMs`
    // leaves it to be retried, without it fails the step.
    std::expected<void, QString> endAttempt(const QString& instanceId, const QString& key,
                                            int attempt, qint64 nowMs, bool success,
                                            const QByteArray& output, const QString& errorName,
                                            const QString& errorMessage,
                                            std::optional<qint64> retryAtMs);
    // A sleep or event wait begins (until `untilMs`), or ends with `output`.
    std::expected<void, QString> beginWait(const QString& instanceId, WorkflowStepKind kind,
                                           const QString& name, int count, qint64 nowMs,
                                           std::optional<qint64> untilMs,
                                           const QString& source = {});
    std::expected<void, QString> endWait(const QString& instanceId, const QString& key,
                                         qint64 nowMs, bool success, const QByteArray& output,
                                         const QString& errorName, const QString& errorMessage);
    // Restart: the steps from `fromKey` on (all when empty) are forgotten, with the events
    // they consumed returned to the queue.
    std::expected<void, QString> forgetSteps(const QString& instanceId,
                                             const QString& fromKey = {});

    // Events.
    std::expected<qint64, WorkflowError> sendEvent(const QString& instanceId, const QString& type,
                                                   const QByteArray& payload, qint64 nowMs);
    // The oldest unclaimed event of `type`, claimed by `stepKey` (or the one it already
    // claimed, on replay); nothing when none has arrived.
    std::expected<std::optional<WorkflowEvent>, QString>
    claimEvent(const QString& instanceId, const QString& type, const QString& stepKey);
    std::expected<std::vector<WorkflowEvent>, QString> events(const QString& instanceId);

private:
    std::expected<void, QString> ready();
    // Reads instance `id` and runs `change` on it in one transaction, committed when `change`
    // succeeds; instance.not_found when there is no such instance.
    std::expected<void, WorkflowError> changeInstance(
        const QString& id,
        const std::function<std::expected<void, WorkflowError>(const WorkflowInstance&)>& change);
    std::expected<void, QString> write(const QString& id, WorkflowStatus status, qint64 nowMs,
                                       const QByteArray& output, const QString& errorName,
                                       const QString& errorMessage);
    std::expected<void, QString> forget(const QString& instanceId, const QString& fromKey);
    std::expected<std::optional<WorkflowStep>, QString> findStep(const QString& instanceId,
                                                                 const QString& key);
    std::expected<std::optional<WorkflowInstance>, QString> find(const QString& id);
    std::expected<WorkflowInstance, WorkflowError> insert(const QString& id,
                                                          const QByteArray& params, qint64 nowMs);

    QString m_path;
    QMutex m_mutex;
    SqliteDb m_db;
};

} // namespace kiln
