#pragma once

#include "stores/workflowtypes.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class QTimer;
class QVBoxLayout;
class QToolButton;

namespace kiln {

class WorkflowDocument;
class WorkflowTimeline;

// One workflow in a tab: its instances (status, created, duration; counts per status and a
// status filter) with what a person can do to them (create with params, pause, resume,
// terminate, restart, restart from the chosen step, send an event, delete), and under them
// the timeline of the selected instances' steps (several compare on one axis) beside the
// details of the chosen instance or step: params, output, error, config, and the run() line
// that declared the step (double-click or "Open source" opens the editor there). Everything
// follows the store live: the worker's runs, a terminal's `kiln workflows ...`, the pane's own
// actions.
class WorkflowBrowser : public QWidget {
    Q_OBJECT
public:
    // `path` is the workflow's store (StateLayout::workflowFile); `title` names it.
    WorkflowBrowser(const QString& path, const QString& title, QWidget* parent = nullptr);

    WorkflowDocument* document() const { return m_doc; }
    QTableView* instancesView() const { return m_table; }
    WorkflowTimeline* timeline() const { return m_timeline; }
    QPlainTextEdit* details() const { return m_details; }
    QString countsText() const;
    QString statusText() const;
    // Shows only instances with this status (empty: all).
    void setStatusFilter(const QString& status);
    // Selects these instances (their steps go on the timeline).
    void selectInstances(const QStringList& ids);
    QStringList selectedInstances() const;

    // The actions, without their dialogs (the toolbar's buttons ask first).
    void createInstance(const QString& id, const QByteArray& params);
    void control(WorkflowAction action);
    void restartFromSelectedStep();
    void sendEvent(const QString& type, const QByteArray& payload);
    void deleteSelected(bool ask = true);
    void refresh();

Q_SIGNALS:
    void openSource(const QString& file, int line);

private:
    void buildToolbar(QVBoxLayout* layout);
    void askCreate();
    void askSendEvent();
    void selectionChanged();
    void showDetails();
    void updateActions();
    void tick();

    WorkflowDocument* m_doc;
    QSortFilterProxyModel* m_filter;
    QTableView* m_table;
    QLabel* m_counts;
    QComboBox* m_statusFilter;
    WorkflowTimeline* m_timeline;
    QLineEdit* m_search;
    QPlainTextEdit* m_details;
    QPushButton* m_openSource;
    QLabel* m_status;
    QTimer* m_live;
    QList<QToolButton*> m_instanceActions; // need a selection
    QToolButton* m_restartFrom = nullptr;
    QString m_title;
};

} // namespace kiln
