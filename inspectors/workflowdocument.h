#pragma once

#include "stores/workflowtypes.h"
#include "workflowsnapshot.h"

#include <QObject>
#include <QStringList>
#include <QTimer>

#include <functional>
#include <memory>

namespace kiln {

class StoreLoader;
class WorkflowInstancesModel;
class WorkflowStepsModel;
class WorkflowStore;

// One workflow's store as the studio's workflow pane sees it: the instances model, the steps
// of the instances on the timeline, and what a person can do to them. Reads and writes run
// on a StoreLoader thread through WorkflowStore (the engine's own store code; a running
// `kiln dev` notices the writes within a quarter second); results arrive as snapshots, and
// one older than the latest request is dropped. The store's data_version is polled, so
// changes from the worker or a terminal (`kiln workflows ...`) show up by themselves.
class WorkflowDocument : public QObject {
    Q_OBJECT
public:
    explicit WorkflowDocument(QString path, QObject* parent = nullptr);
    ~WorkflowDocument() override;

    const QString& path() const { return m_path; }
    WorkflowInstancesModel* instances() const { return m_instances; }
    WorkflowStepsModel* steps() const { return m_steps; }

    // The instances whose steps the timeline shows, in this order.
    void setShown(const QStringList& ids);
    const QStringList& shown() const { return m_shown; }
    void refresh();
    // How often data_version is checked; 0 stops it (500 ms unless set).
    void setPollInterval(int ms);
    bool missing() const { return m_snapshot.missing; }
    QString error() const { return m_snapshot.error; }
    const WorkflowSnapshot& snapshot() const { return m_snapshot; }
    // Pending reads or writes.
    bool busy() const;

    // Each answers through `actionFinished(what, error)` (error empty on success) and then
    // re-reads. `create`: an empty id makes a random one; params is JSON text.
    void create(const QString& id, const QByteArray& params);
    void control(const QStringList& ids, WorkflowAction action, const QString& fromStepKey = {});
    void sendEvent(const QString& id, const QString& type, const QByteArray& payload);
    void remove(const QStringList& ids);

Q_SIGNALS:
    void loaded();
    void actionFinished(const QString& what, const QString& error);

private:
    // Runs `work` on the store (opened, or created when `create`) on the loader thread.
    void write(const QString& what, bool create, std::function<QString(WorkflowStore&)> work);
    void poll();
    void apply(WorkflowSnapshot snapshot, quint64 generation);

    QString m_path;
    std::shared_ptr<WorkflowStore> m_store; // used on the loader thread only
    StoreLoader* m_loader;
    WorkflowInstancesModel* m_instances;
    WorkflowStepsModel* m_steps;
    QStringList m_shown;
    WorkflowSnapshot m_snapshot;
    QTimer m_poll;
    quint64 m_generation = 0;
    bool m_polling = false;
};

} // namespace kiln
