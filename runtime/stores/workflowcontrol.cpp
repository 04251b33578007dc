// WorkflowStore's control half: what a person does to an instance (pause, resume, terminate,
// restart, delete) and what the engine needs to notice it (data version, interrupted
// attempts). Kept apart from the run log's writes in workflowstore.cpp.

#include "stores/workflowstore.h"

#include <sqlite3.h>

namespace kiln {

namespace {

WorkflowError notFound() {
    return WorkflowError{QStringLiteral("instance.not_found"),
                         QStringLiteral("Instance not found")};
}

WorkflowError internal(const QString& why) {
    return WorkflowError{QStringLiteral("internal"), why};
}

// The status an action leaves, as Cloudflare's engine moves it; nullopt: no change.
std::expected<std::optional<WorkflowStatus>, WorkflowError> transition(WorkflowStatus from,
                                                                       WorkflowAction action) {
    using S = WorkflowStatus;
    switch (action) {
    case WorkflowAction::Pause:
        if (from == S::Running) return S::WaitingForPause; // the step in flight ends first
        if (from == S::Waiting || from == S::Queued) return S::Paused;
        return std::nullopt;
    case WorkflowAction::Resume:
        if (from == S::WaitingForPause) return S::Running; // never got to pause
        if (from == S::Paused) return S::Queued;
        return std::nullopt;
    case WorkflowAction::Terminate:
        if (workflowStatusFinished(from))
            return std::unexpected(
                WorkflowError{QStringLiteral("instance.cannot_terminate"),
                              QStringLiteral("Cannot terminate instance since its on a finite "
                                             "state")});
        return S::Terminated;
    case WorkflowAction::Restart:
        return S::Queued;
    }
    return std::nullopt;
}

} // namespace

std::expected<void, WorkflowError> WorkflowStore::changeInstance(
    const QString& id,
    const std::function<std::expected<void, WorkflowError>(const WorkflowInstance&)>& change) {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(internal(r.error()));
    SqlTransaction tx(m_db); // read and write as one: another connection may write between
    if (auto r = tx.begin(); !r) return std::unexpected(internal(r.error()));
    auto found = find(id);
    if (!found) return std::unexpected(internal(found.error()));
    if (!*found) return std::unexpected(notFound());
    if (auto r = change(**found); !r) return r;
    if (auto r = tx.commit(); !r) return std::unexpected(internal(r.error()));
    return {};
}

std::expected<WorkflowStatus, WorkflowError> WorkflowStore::control(const QString& id,
                                                                    WorkflowAction action,
                                                                    qint64 nowMs,
                                                                    const QString& restartFromKey) {
    WorkflowStatus result = WorkflowStatus::Unknown;
    auto done = changeInstance(
        id, [&](const WorkflowInstance& found) -> std::expected<void, WorkflowError> {
            result = found.status;
            auto to = transition(found.status, action);
            if (!to) return std::unexpected(to.error());
            if (!*to) return {};
            if (action == WorkflowAction::Restart && !restartFromKey.isEmpty()) {
                auto known = findStep(id, restartFromKey);
                if (!known) return std::unexpected(internal(known.error()));
                if (!*known)
                    return std::unexpected(
                        WorkflowError{QStringLiteral("instance.cannot_restart"),
                                      QStringLiteral("Step \"%1\" not found in execution history")
                                          .arg(restartFromKey.section(QLatin1Char(':'), 2))});
            }
            if (action == WorkflowAction::Restart) {
                if (auto r = forget(id, restartFromKey); !r)
                    return std::unexpected(internal(r.error()));
                SqlStatement clear(m_db, "UPDATE instances SET started_ms = 0, wake_ms = NULL"
                                         " WHERE id = ?1");
                clear.bind(1, id);
                if (auto r = clear.step(); !r) return std::unexpected(internal(r.error()));
            }
            if (auto r = write(id, **to, nowMs, {}, {}, {}); !r)
                return std::unexpected(internal(r.error()));
            // A new run begins: the one in flight (if any) may no longer write the status.
            if (action == WorkflowAction::Restart || **to == WorkflowStatus::Queued ||
                **to == WorkflowStatus::Terminated) {
                SqlStatement bump(m_db, "UPDATE instances SET run = run + 1 WHERE id = ?1");
                bump.bind(1, id);
                if (auto r = bump.step(); !r) return std::unexpected(internal(r.error()));
            }
            result = **to;
            return {};
        });
    if (!done) return std::unexpected(done.error());
    return result;
}

std::expected<void, WorkflowError> WorkflowStore::remove(const QString& id) {
    return changeInstance(id, [&](const WorkflowInstance&) -> std::expected<void, WorkflowError> {
        for (const char* sql :
             {"DELETE FROM attempts WHERE instance_id = ?1",
              "DELETE FROM steps WHERE instance_id = ?1",
              "DELETE FROM events WHERE instance_id = ?1", "DELETE FROM instances WHERE id = ?1"}) {
            SqlStatement q(m_db, sql);
            q.bind(1, id);
            if (auto r = q.step(); !r) return std::unexpected(internal(r.error()));
        }
        return {};
    });
}

std::expected<qint64, QString> WorkflowStore::dataVersion() {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    auto v = m_db.dataVersion();
    if (!v) return std::unexpected(v.error().message);
    return *v;
}

std::expected<int, QString> WorkflowStore::closeInterrupted(const QString& id, qint64 nowMs) {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    SqlStatement q(m_db, "UPDATE attempts SET ended_ms = ?2, success = 0, error_name = ?3,"
                         " error_message = ?4 WHERE instance_id = ?1 AND ended_ms = 0");
    q.bind(1, id);
    q.bind(2, nowMs);
    q.bind(3, QString::fromLatin1(kWorkflowInterrupted));
    q.bind(4, QStringLiteral("kiln stopped while this attempt ran; it runs again"));
    if (auto r = q.step(); !r) return std::unexpected(r.error());
    return int(sqlite3_changes(m_db.handle()));
}

} // namespace kiln
