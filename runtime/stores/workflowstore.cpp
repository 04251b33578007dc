#include "stores/workflowstore.h"

#include <QRegularExpression>
#include <QUuid>

#include <sqlite3.h>

#include <algorithm>

namespace kiln {

namespace {

constexpr char kCreate[] =
    "CREATE TABLE IF NOT EXISTS instances (id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE,"
    " params TEXT NOT NULL, status TEXT NOT NULL, output TEXT, error_name TEXT, error_message TEXT,"
    " created_ms INTEGER NOT NULL, started_ms INTEGER NOT NULL DEFAULT 0,"
    " ended_ms INTEGER NOT NULL DEFAULT 0, wake_ms INTEGER, run INTEGER NOT NULL DEFAULT 1);"
    "CREATE TABLE IF NOT EXISTS steps (instance_id TEXT NOT NULL, key TEXT NOT NULL,"
    " name TEXT NOT NULL, count INTEGER NOT NULL, kind TEXT NOT NULL, state TEXT NOT NULL,"
    " output TEXT, error_name TEXT, error_message TEXT, config TEXT, started_ms INTEGER NOT NULL,"
    " ended_ms INTEGER NOT NULL DEFAULT 0, until_ms INTEGER, ord INTEGER NOT NULL, source TEXT,"
    " PRIMARY KEY (instance_id, key));"
    "CREATE TABLE IF NOT EXISTS attempts (instance_id TEXT NOT NULL, step_key TEXT NOT NULL,"
    " attempt INTEGER NOT NULL, started_ms INTEGER NOT NULL, ended_ms INTEGER NOT NULL DEFAULT 0,"
    " success INTEGER NOT NULL DEFAULT 0, error_name TEXT, error_message TEXT, retry_at_ms INTEGER,"
    " PRIMARY KEY (instance_id, step_key, attempt));"
    "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " instance_id TEXT NOT NULL, type TEXT NOT NULL, payload TEXT NOT NULL,"
    " received_ms INTEGER NOT NULL, consumed_by TEXT);"
    "CREATE INDEX IF NOT EXISTS events_waiting ON events (instance_id, type, consumed_by);";

constexpr char kInstanceColumns[] = "id, params, status, output, error_name, error_message, "
                                    "created_ms, started_ms, ended_ms, wake_ms, seq, run";

WorkflowInstance instanceFrom(const SqlStatement& q) {
    WorkflowInstance i;
    i.id = q.text(0);
    i.params = q.text(1).toUtf8();
    i.status = workflowStatusFromName(q.text(2));
    i.output = q.isNull(3) ? QByteArray() : q.text(3).toUtf8();
    i.errorName = q.isNull(4) ? QString() : q.text(4);
    i.errorMessage = q.isNull(5) ? QString() : q.text(5);
    i.createdMs = q.integer(6);
    i.startedMs = q.integer(7);
    i.endedMs = q.integer(8);
    i.wakeMs = q.isNull(9) ? std::nullopt : std::optional<qint64>(q.integer(9));
    i.seq = q.integer(10);
    i.run = q.integer(11);
    return i;
}

WorkflowStepKind kindFrom(const QString& name) {
    if (name == QLatin1String("sleep")) return WorkflowStepKind::Sleep;
    if (name == QLatin1String("waitForEvent")) return WorkflowStepKind::WaitForEvent;
    return WorkflowStepKind::Do;
}

WorkflowError storeError(const QString& why) {
    return WorkflowError{QStringLiteral("internal"), why};
}

} // namespace

WorkflowStore::WorkflowStore(QString path)
    : m_path(std::move(path)) {}

std::expected<void, QString> WorkflowStore::open() {
    QMutexLocker lock(&m_mutex);
    return ready();
}

std::expected<void, QString> WorkflowStore::ready() {
    if (m_db.isOpen()) return {};
    if (auto r = m_db.open(m_path); !r) return std::unexpected(r.error().message);
    if (auto r = m_db.exec(kCreate); !r) {
        m_db.close();
        return std::unexpected(QStringLiteral("%1: %2").arg(m_path, r.error()));
    }
    return {};
}

bool WorkflowStore::validInstanceId(const QString& id) {
    static const QRegularExpression allowed(QStringLiteral("^[a-zA-Z0-9_][a-zA-Z0-9\\-_]*$"));
    return id.size() <= kMaxIdLength && allowed.match(id).hasMatch();
}

bool WorkflowStore::validStepName(const QString& name) {
    static const QRegularExpression control(QStringLiteral("[\\x00-\\x1f]"));
    return name.size() <= kMaxStepNameLength && !control.match(name).hasMatch();
}

QString WorkflowStore::stepKey(WorkflowStepKind kind, const QString& name, int count) {
    return workflowStepKindName(kind) + QLatin1Char(':') + QString::number(count) +
           QLatin1Char(':') + name;
}

std::expected<std::optional<WorkflowInstance>, QString> WorkflowStore::find(const QString& id) {
    SqlStatement q(
        m_db,
        (QByteArray("SELECT ") + kInstanceColumns + " FROM instances WHERE id = ?1").constData());
    if (!q.ok()) return std::unexpected(m_db.lastError());
    q.bind(1, id);
    auto row = q.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<WorkflowInstance>();
    return std::optional<WorkflowInstance>(instanceFrom(q));
}

std::expected<WorkflowInstance, WorkflowError>
WorkflowStore::insert(const QString& id, const QByteArray& params, qint64 nowMs) {
    if (!validInstanceId(id))
        return std::unexpected(WorkflowError{QStringLiteral("instance.invalid_id"),
                                             QStringLiteral("Workflow instance has invalid id")});
    auto existing = find(id);
    if (!existing) return std::unexpected(storeError(existing.error()));
    if (*existing)
        return std::unexpected(WorkflowError{
            QStringLiteral("instance.already_exists"),
            QStringLiteral("Workflow instance with id \"%1\" already exists").arg(id)});
    SqlStatement q(m_db,
                   "INSERT INTO instances (id, seq, params, status, created_ms) VALUES"
                   " (?1, (SELECT coalesce(max(seq), 0) + 1 FROM instances), ?2, 'queued', ?3)");
    q.bind(1, id);
    q.bind(2, QString::fromUtf8(params.isEmpty() ? QByteArray("{}") : params));
    q.bind(3, nowMs);
    if (auto r = q.step(); !r) return std::unexpected(storeError(r.error()));
    auto made = find(id);
    if (!made || !*made)
        return std::unexpected(storeError(made ? QStringLiteral("lost") : made.error()));
    return **made;
}

std::expected<WorkflowInstance, WorkflowError>
WorkflowStore::create(const QString& id, const QByteArray& params, qint64 nowMs) {
    auto made = createBatch({{id, params}}, nowMs);
    if (!made) return std::unexpected(made.error());
    return made->front();
}

std::expected<std::vector<WorkflowInstance>, WorkflowError>
WorkflowStore::createBatch(const std::vector<std::pair<QString, QByteArray>>& idsAndParams,
                           qint64 nowMs) {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(storeError(r.error()));
    SqlTransaction tx(m_db);
    if (auto r = tx.begin(); !r) return std::unexpected(storeError(r.error()));
    std::vector<WorkflowInstance> made;
    for (const auto& [id, params] : idsAndParams) {
        const QString chosen =
            id.isEmpty() ? QUuid::createUuid().toString(QUuid::WithoutBraces) : id;
        auto instance = insert(chosen, params, nowMs);
        if (!instance) return std::unexpected(instance.error()); // the transaction rolls back
        made.push_back(std::move(*instance));
    }
    if (auto r = tx.commit(); !r) return std::unexpected(storeError(r.error()));
    return made;
}

std::expected<std::optional<WorkflowInstance>, QString> WorkflowStore::instance(const QString& id) {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    return find(id);
}

std::expected<std::vector<WorkflowInstance>, QString> WorkflowStore::instances() {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    SqlStatement q(m_db,
                   (QByteArray("SELECT ") + kInstanceColumns + " FROM instances ORDER BY seq DESC")
                       .constData());
    std::vector<WorkflowInstance> out;
    for (;;) {
        auto row = q.step();
        if (!row) return std::unexpected(row.error());
        if (!*row) break;
        out.push_back(instanceFrom(q));
    }
    return out;
}

std::expected<std::vector<WorkflowInstance>, QString> WorkflowStore::unfinished() {
    auto all = instances();
    if (!all) return all;
    std::erase_if(*all, [](const WorkflowInstance& i) { return workflowStatusFinished(i.status); });
    std::reverse(all->begin(), all->end()); // oldest first: resumed in the order they began
    return all;
}

std::expected<bool, WorkflowError>
WorkflowStore::setStatus(const QString& id, WorkflowStatus status, qint64 nowMs,
                         const QByteArray& output, const QString& errorName,
                         const QString& errorMessage, std::optional<qint64> run) {
    bool applied = false;
    auto done = changeInstance(
        id, [&](const WorkflowInstance& found) -> std::expected<void, WorkflowError> {
            if (run && found.run != *run) return {}; // a restart or a resume began another run
            // A person's pause or terminate is not undone by the engine reporting progress.
            using S = WorkflowStatus;
            const bool progress = status == S::Running || status == S::Waiting;
            if (run && (found.status == S::Paused || found.status == S::Terminated ||
                        (found.status == S::WaitingForPause && progress)))
                return {};
            if (auto r = write(id, status, nowMs, output, errorName, errorMessage); !r)
                return std::unexpected(storeError(r.error()));
            applied = true;
            return {};
        });
    if (!done) return std::unexpected(done.error());
    return applied;
}

std::expected<void, QString> WorkflowStore::write(const QString& id, WorkflowStatus status,
                                                  qint64 nowMs, const QByteArray& output,
                                                  const QString& errorName,
                                                  const QString& errorMessage) {
    const bool finished = workflowStatusFinished(status);
    SqlStatement q(
        m_db,
        "UPDATE instances SET status = ?2,"
        " started_ms = CASE WHEN started_ms = 0 AND ?2 = 'running' THEN ?3 ELSE started_ms END,"
        " ended_ms = CASE WHEN ?4 THEN ?3 ELSE 0 END,"
        " output = CASE WHEN ?4 THEN ?5 ELSE NULL END,"
        " error_name = CASE WHEN ?4 THEN ?6 ELSE NULL END,"
        " error_message = CASE WHEN ?4 THEN ?7 ELSE NULL END,"
        " wake_ms = CASE WHEN ?4 THEN NULL ELSE wake_ms END WHERE id = ?1");
    q.bind(1, id);
    q.bind(2, workflowStatusName(status));
    q.bind(3, nowMs);
    q.bind(4, qint64(finished));
    q.bind(5, output.isNull() ? SqlValue() : SqlValue(QString::fromUtf8(output)));
    q.bind(6, errorName.isEmpty() ? SqlValue() : SqlValue(errorName));
    q.bind(7, errorMessage.isEmpty() ? SqlValue() : SqlValue(errorMessage));
    if (auto r = q.step(); !r) return std::unexpected(r.error());
    return {};
}

std::expected<void, QString> WorkflowStore::setWake(const QString& id,
                                                    std::optional<qint64> wakeMs) {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    SqlStatement q(m_db, "UPDATE instances SET wake_ms = ?2 WHERE id = ?1");
    q.bind(1, id);
    q.bind(2, wakeMs ? SqlValue(*wakeMs) : SqlValue());
    if (auto r = q.step(); !r) return std::unexpected(r.error());
    return {};
}

namespace {

constexpr char kStepColumns[] = "key, name, count, kind, state, output, error_name, error_message, "
                                "config, started_ms, ended_ms, until_ms, source";

WorkflowStep stepFrom(const SqlStatement& q) {
    WorkflowStep s;
    s.key = q.text(0);
    s.name = q.text(1);
    s.count = int(q.integer(2));
    s.kind = kindFrom(q.text(3));
    s.state = q.text(4);
    s.output = q.isNull(5) ? QByteArray() : q.text(5).toUtf8();
    s.errorName = q.isNull(6) ? QString() : q.text(6);
    s.errorMessage = q.isNull(7) ? QString() : q.text(7);
    s.config = q.isNull(8) ? QByteArray() : q.text(8).toUtf8();
    s.startedMs = q.integer(9);
    s.endedMs = q.integer(10);
    s.untilMs = q.isNull(11) ? std::nullopt : std::optional<qint64>(q.integer(11));
    s.source = q.isNull(12) ? QString() : q.text(12);
    return s;
}

// A step's attempts, oldest first.
std::expected<std::vector<WorkflowAttempt>, QString>
attemptsOf(SqliteDb& db, const QString& instanceId, const QString& key) {
    SqlStatement q(
        db, "SELECT attempt, started_ms, ended_ms, success, error_name, error_message,"
            " retry_at_ms FROM attempts WHERE instance_id = ?1 AND step_key = ?2 ORDER BY attempt");
    q.bind(1, instanceId);
    q.bind(2, key);
    std::vector<WorkflowAttempt> out;
    for (;;) {
        auto row = q.step();
        if (!row) return std::unexpected(row.error());
        if (!*row) break;
        out.push_back({int(q.integer(0)), q.integer(1), q.integer(2), q.integer(3) != 0,
                       q.isNull(4) ? QString() : q.text(4), q.isNull(5) ? QString() : q.text(5),
                       q.isNull(6) ? std::nullopt : std::optional<qint64>(q.integer(6))});
    }
    return out;
}

// Creates the step row on its first use; its place in the run is the order it was first met.
std::expected<void, QString> ensureStep(SqliteDb& db, const QString& instanceId,
                                        WorkflowStepKind kind, const QString& name, int count,
                                        const QByteArray& config, qint64 nowMs,
                                        const QString& state, const QString& source) {
    SqlStatement q(db, "INSERT INTO steps (instance_id, key, name, count, kind, state, config,"
                       " started_ms, ord, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
                       " (SELECT coalesce(max(ord), 0) + 1 FROM steps WHERE instance_id = ?1), ?9)"
                       " ON CONFLICT (instance_id, key) DO UPDATE SET state = ?6");
    q.bind(1, instanceId);
    q.bind(2, WorkflowStore::stepKey(kind, name, count));
    q.bind(3, name);
    q.bind(4, qint64(count));
    q.bind(5, workflowStepKindName(kind));
    q.bind(6, state);
    q.bind(7, config.isEmpty() ? SqlValue() : SqlValue(QString::fromUtf8(config)));
    q.bind(8, nowMs);
    q.bind(9, source.isEmpty() ? SqlValue() : SqlValue(source));
    if (auto r = q.step(); !r) return std::unexpected(r.error());
    return {};
}

} // namespace

std::expected<std::optional<WorkflowStep>, QString> WorkflowStore::step(const QString& instanceId,
                                                                        const QString& key) {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    return findStep(instanceId, key);
}

std::expected<std::optional<WorkflowStep>, QString>
WorkflowStore::findStep(const QString& instanceId, const QString& key) {
    SqlStatement q(m_db, (QByteArray("SELECT ") + kStepColumns +
                          " FROM steps WHERE instance_id = ?1 AND key = ?2")
                             .constData());
    q.bind(1, instanceId);
    q.bind(2, key);
    auto row = q.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<WorkflowStep>();
    WorkflowStep s = stepFrom(q);
    auto attempts = attemptsOf(m_db, instanceId, key);
    if (!attempts) return std::unexpected(attempts.error());
    s.attempts = std::move(*attempts);
    return std::optional<WorkflowStep>(std::move(s));
}

std::expected<std::vector<WorkflowStep>, QString> WorkflowStore::steps(const QString& instanceId) {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    SqlStatement q(m_db, (QByteArray("SELECT ") + kStepColumns +
                          " FROM steps WHERE instance_id = ?1 ORDER BY ord")
                             .constData());
    q.bind(1, instanceId);
    std::vector<WorkflowStep> out;
    for (;;) {
        auto row = q.step();
        if (!row) return std::unexpected(row.error());
        if (!*row) break;
        out.push_back(stepFrom(q));
    }
    for (WorkflowStep& s : out) {
        auto attempts = attemptsOf(m_db, instanceId, s.key);
        if (!attempts) return std::unexpected(attempts.error());
        s.attempts = std::move(*attempts);
    }
    return out;
}

std::expected<int, QString> WorkflowStore::beginAttempt(const QString& instanceId,
                                                        WorkflowStepKind kind, const QString& name,
                                                        int count, const QByteArray& config,
                                                        qint64 nowMs, const QString& source) {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    SqlTransaction tx(m_db);
    if (auto r = tx.begin(); !r) return std::unexpected(r.error());
    if (auto r = ensureStep(m_db, instanceId, kind, name, count, config, nowMs,
                            QStringLiteral("running"), source);
        !r)
        return std::unexpected(r.error());
    const QString key = stepKey(kind, name, count);
    SqlStatement q(m_db, "INSERT INTO attempts (instance_id, step_key, attempt, started_ms) VALUES"
                         " (?1, ?2, (SELECT coalesce(max(attempt), 0) + 1 FROM attempts"
                         " WHERE instance_id = ?1 AND step_key = ?2), ?3) RETURNING attempt");
    q.bind(1, instanceId);
    q.bind(2, key);
    q.bind(3, nowMs);
    auto row = q.step();
    if (!row || !*row) return std::unexpected(row ? QStringLiteral("no attempt row") : row.error());
    const int attempt = int(q.integer(0));
    q.reset();
    if (auto r = tx.commit(); !r) return std::unexpected(r.error());
    return attempt;
}

std::expected<void, QString>
WorkflowStore::endAttempt(const QString& instanceId, const QString& key, int attempt, qint64 nowMs,
                          bool success, const QByteArray& output, const QString& errorName,
                          const QString& errorMessage, std::optional<qint64> retryAtMs) {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    SqlTransaction tx(m_db);
    if (auto r = tx.begin(); !r) return std::unexpected(r.error());
    {
        SqlStatement a(m_db, "UPDATE attempts SET ended_ms = ?4, success = ?5, error_name = ?6,"
                             " error_message = ?7, retry_at_ms = ?8"
                             " WHERE instance_id = ?1 AND step_key = ?2 AND attempt = ?3");
        a.bind(1, instanceId);
        a.bind(2, key);
        a.bind(3, qint64(attempt));
        a.bind(4, nowMs);
        a.bind(5, qint64(success));
        a.bind(6, errorName.isEmpty() ? SqlValue() : SqlValue(errorName));
        a.bind(7, errorMessage.isEmpty() ? SqlValue() : SqlValue(errorMessage));
        a.bind(8, retryAtMs ? SqlValue(*retryAtMs) : SqlValue());
        if (auto r = a.step(); !r) return std::unexpected(r.error());
    }
    // A failure that will be retried leaves the step running; the others end it.
    const QString state = success     ? QStringLiteral("complete")
                          : retryAtMs ? QStringLiteral("running")
                                      : QStringLiteral("errored");
    SqlStatement s(m_db,
                   "UPDATE steps SET state = ?3, output = ?4, error_name = ?5, error_message = ?6,"
                   " ended_ms = CASE WHEN ?3 = 'running' THEN 0 ELSE ?7 END"
                   " WHERE instance_id = ?1 AND key = ?2");
    s.bind(1, instanceId);
    s.bind(2, key);
    s.bind(3, state);
    s.bind(4, success ? SqlValue(QString::fromUtf8(output)) : SqlValue());
    s.bind(5, success || errorName.isEmpty() ? SqlValue() : SqlValue(errorName));
    s.bind(6, success || errorMessage.isEmpty() ? SqlValue() : SqlValue(errorMessage));
    s.bind(7, nowMs);
    if (auto r = s.step(); !r) return std::unexpected(r.error());
    return tx.commit();
}

std::expected<void, QString> WorkflowStore::beginWait(const QString& instanceId,
                                                      WorkflowStepKind kind, const QString& name,
                                                      int count, qint64 nowMs,
                                                      std::optional<qint64> untilMs,
                                                      const QString& source) {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    SqlTransaction tx(m_db);
    if (auto r = tx.begin(); !r) return std::unexpected(r.error());
    if (auto r = ensureStep(m_db, instanceId, kind, name, count, {}, nowMs,
                            QStringLiteral("waiting"), source);
        !r)
        return std::unexpected(r.error());
    SqlStatement q(m_db, "UPDATE steps SET until_ms = ?3 WHERE instance_id = ?1 AND key = ?2");
    q.bind(1, instanceId);
    q.bind(2, stepKey(kind, name, count));
    q.bind(3, untilMs ? SqlValue(*untilMs) : SqlValue());
    if (auto r = q.step(); !r) return std::unexpected(r.error());
    return tx.commit();
}

std::expected<void, QString> WorkflowStore::endWait(const QString& instanceId, const QString& key,
                                                    qint64 nowMs, bool success,
                                                    const QByteArray& output,
                                                    const QString& errorName,
                                                    const QString& errorMessage) {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    SqlStatement s(m_db,
                   "UPDATE steps SET state = ?3, output = ?4, error_name = ?5, error_message = ?6,"
                   " ended_ms = ?7 WHERE instance_id = ?1 AND key = ?2");
    s.bind(1, instanceId);
    s.bind(2, key);
    s.bind(3, success ? QStringLiteral("complete") : QStringLiteral("errored"));
    s.bind(4, success && !output.isNull() ? SqlValue(QString::fromUtf8(output)) : SqlValue());
    s.bind(5, errorName.isEmpty() ? SqlValue() : SqlValue(errorName));
    s.bind(6, errorMessage.isEmpty() ? SqlValue() : SqlValue(errorMessage));
    s.bind(7, nowMs);
    if (auto r = s.step(); !r) return std::unexpected(r.error());
    return {};
}

std::expected<void, QString> WorkflowStore::forgetSteps(const QString& instanceId,
                                                        const QString& fromKey) {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    SqlTransaction tx(m_db);
    if (auto r = tx.begin(); !r) return std::unexpected(r.error());
    if (auto r = forget(instanceId, fromKey); !r) return r;
    return tx.commit();
}

std::expected<void, QString> WorkflowStore::forget(const QString& instanceId,
                                                   const QString& fromKey) {
    // The steps at or after `fromKey` in the run's order (all of them without one).
    const char* chosen = "SELECT key FROM steps WHERE instance_id = ?1 AND (?2 IS NULL OR ord >="
                         " (SELECT ord FROM steps WHERE instance_id = ?1 AND key = ?2))";
    for (const QByteArray& sql :
         {QByteArray(
              "UPDATE events SET consumed_by = NULL WHERE instance_id = ?1 AND consumed_by IN (") +
              chosen + ")",
          QByteArray("DELETE FROM attempts WHERE instance_id = ?1 AND step_key IN (") + chosen +
              ")",
          QByteArray("DELETE FROM steps WHERE instance_id = ?1 AND key IN (") + chosen + ")"}) {
        SqlStatement q(m_db, sql.constData());
        q.bind(1, instanceId);
        q.bind(2, fromKey.isEmpty() ? SqlValue() : SqlValue(fromKey));
        if (auto r = q.step(); !r) return std::unexpected(r.error());
    }
    return {};
}

std::expected<qint64, WorkflowError> WorkflowStore::sendEvent(const QString& instanceId,
                                                              const QString& type,
                                                              const QByteArray& payload,
                                                              qint64 nowMs) {
    qint64 seq = 0;
    auto done = changeInstance(
        instanceId, [&](const WorkflowInstance&) -> std::expected<void, WorkflowError> {
            SqlStatement q(m_db, "INSERT INTO events (instance_id, type, payload, received_ms)"
                                 " VALUES (?1, ?2, ?3, ?4) RETURNING seq");
            q.bind(1, instanceId);
            q.bind(2, type);
            q.bind(3, QString::fromUtf8(payload.isEmpty() ? QByteArray("null") : payload));
            q.bind(4, nowMs);
            auto row = q.step();
            if (!row || !*row)
                return std::unexpected(
                    storeError(row ? QStringLiteral("no event row") : row.error()));
            seq = q.integer(0);
            q.reset();
            return {};
        });
    if (!done) return std::unexpected(done.error());
    return seq;
}

std::expected<std::optional<WorkflowEvent>, QString>
WorkflowStore::claimEvent(const QString& instanceId, const QString& type, const QString& stepKey) {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    SqlTransaction tx(m_db);
    if (auto r = tx.begin(); !r) return std::unexpected(r.error());
    // The one this step claimed before a restart, else the oldest nobody has claimed.
    SqlStatement q(
        m_db, "SELECT seq, type, payload, received_ms, consumed_by FROM events"
              " WHERE instance_id = ?1 AND type = ?2 AND (consumed_by = ?3 OR consumed_by IS NULL)"
              " ORDER BY consumed_by IS NULL, seq LIMIT 1");
    q.bind(1, instanceId);
    q.bind(2, type);
    q.bind(3, stepKey);
    auto row = q.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<WorkflowEvent>();
    WorkflowEvent event{q.integer(0), q.text(1), q.text(2).toUtf8(), q.integer(3), stepKey};
    q.reset();
    SqlStatement claim(m_db, "UPDATE events SET consumed_by = ?2 WHERE seq = ?1");
    claim.bind(1, event.seq);
    claim.bind(2, stepKey);
    if (auto r = claim.step(); !r) return std::unexpected(r.error());
    if (auto r = tx.commit(); !r) return std::unexpected(r.error());
    return std::optional<WorkflowEvent>(std::move(event));
}

std::expected<std::vector<WorkflowEvent>, QString>
WorkflowStore::events(const QString& instanceId) {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    SqlStatement q(m_db, "SELECT seq, type, payload, received_ms, consumed_by FROM events"
                         " WHERE instance_id = ?1 ORDER BY seq");
    q.bind(1, instanceId);
    std::vector<WorkflowEvent> out;
    for (;;) {
        auto row = q.step();
        if (!row) return std::unexpected(row.error());
        if (!*row) break;
        out.push_back({q.integer(0), q.text(1), q.text(2).toUtf8(), q.integer(3),
                       q.isNull(4) ? QString() : q.text(4)});
    }
    return out;
}

} // namespace kiln
