#include "workflowdocument.h"

#include "storeloader.h"
#include "stores/workflowstore.h"
#include "workflowinstancesmodel.h"
#include "workflowstepsmodel.h"

#include <QDateTime>
#include <QFileInfo>

namespace kiln {

namespace {

qint64 nowMs() {
    return QDateTime::currentMSecsSinceEpoch();
}

} // namespace

WorkflowDocument::WorkflowDocument(QString path, QObject* parent)
    : QObject(parent)
    , m_path(std::move(path))
    , m_store(std::make_shared<WorkflowStore>(m_path))
    , m_loader(new StoreLoader(this))
    , m_instances(new WorkflowInstancesModel(this))
    , m_steps(new WorkflowStepsModel(this)) {
    connect(&m_poll, &QTimer::timeout, this, &WorkflowDocument::poll);
    m_poll.start(500);
    refresh();
}

WorkflowDocument::~WorkflowDocument() {
    delete m_loader; // waits for the running job; the store outlives it
}

bool WorkflowDocument::busy() const {
    return m_loader->busy();
}

void WorkflowDocument::setShown(const QStringList& ids) {
    if (ids == m_shown) return;
    m_shown = ids;
    refresh();
}

void WorkflowDocument::setPollInterval(int ms) {
    if (ms <= 0) return m_poll.stop();
    m_poll.start(ms);
}

void WorkflowDocument::refresh() {
    const quint64 generation = ++m_generation;
    const QStringList ids = m_shown;
    m_loader->run<WorkflowSnapshot>(
        [store = m_store, ids] { return loadWorkflowSnapshot(*store, ids); },
        [this, generation](WorkflowSnapshot s) { apply(std::move(s), generation); });
}

// Cheap: data_version only, then a full read when another connection wrote.
void WorkflowDocument::poll() {
    if (m_polling) return;
    m_polling = true;
    const QString path = m_path;
    auto store = m_store;
    m_loader->run<qint64>(
        [path, store]() -> qint64 {
            if (!QFileInfo::exists(path)) return -1;
            auto v = store->dataVersion();
            return v ? *v : -2;
        },
        [this](qint64 version) {
            m_polling = false;
            const bool appeared = version >= 0 && m_snapshot.missing;
            if (appeared || (version >= 0 && version != m_snapshot.version)) refresh();
        });
}

void WorkflowDocument::apply(WorkflowSnapshot snapshot, quint64 generation) {
    if (generation != m_generation) return; // a newer read is on its way
    const qint64 now = nowMs();
    m_snapshot = std::move(snapshot);
    m_instances->setInstances(m_snapshot.instances, now);
    m_steps->setSteps(m_shown, m_snapshot.steps, now);
    Q_EMIT loaded();
}

void WorkflowDocument::write(const QString& what, bool create,
                             std::function<QString(WorkflowStore&)> work) {
    const QString path = m_path;
    m_loader->run<QString>(
        [path, create, store = m_store, work = std::move(work)]() -> QString {
            if (!create && !QFileInfo::exists(path))
                return QStringLiteral("%1 has no instances yet").arg(path);
            if (auto r = store->open(); !r) return r.error();
            return work(*store);
        },
        [this, what](QString error) {
            Q_EMIT actionFinished(what, error);
            refresh();
        });
}

void WorkflowDocument::create(const QString& id, const QByteArray& params) {
    write(tr("Create"), true, [id, params](WorkflowStore& store) {
        auto r = store.create(id, params.isEmpty() ? QByteArray("{}") : params, nowMs());
        return r ? QString() : r.error().text();
    });
}

void WorkflowDocument::control(const QStringList& ids, WorkflowAction action,
                               const QString& fromStepKey) {
    static const char* names[] = {"Pause", "Resume", "Terminate", "Restart"};
    write(tr(names[int(action)]), false, [ids, action, fromStepKey](WorkflowStore& store) {
        QStringList errors;
        for (const QString& id : ids)
            if (auto r = store.control(id, action, nowMs(), fromStepKey); !r)
                errors << QStringLiteral("%1: %2").arg(id, r.error().text());
        return errors.join(QLatin1Char('\n'));
    });
}

void WorkflowDocument::sendEvent(const QString& id, const QString& type,
                                 const QByteArray& payload) {
    write(tr("Send event"), false, [id, type, payload](WorkflowStore& store) {
        auto r =
            store.sendEvent(id, type, payload.isEmpty() ? QByteArray("null") : payload, nowMs());
        return r ? QString() : r.error().text();
    });
}

void WorkflowDocument::remove(const QStringList& ids) {
    write(tr("Delete"), false, [ids](WorkflowStore& store) {
        QStringList errors;
        for (const QString& id : ids)
            if (auto r = store.remove(id); !r)
                errors << QStringLiteral("%1: %2").arg(id, r.error().text());
        return errors.join(QLatin1Char('\n'));
    });
}

} // namespace kiln
