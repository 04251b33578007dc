#include "workflowbrowser.h"

#include "compactrows.h"
#include "stores/workflowjson.h"
#include "workflowdocument.h"
#include "workflowinstancesmodel.h"
#include "workflowstepsmodel.h"
#include "workflowtimeline.h"

#include <QComboBox>
#include <QDateTime>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace kiln {

namespace {

const char* const kStatuses[] = {"queued",          "running",  "paused",  "waiting",
                                 "waitingForPause", "complete", "errored", "terminated"};

QString pretty(const QByteArray& json) {
    const QJsonValue value = workflowJsonValue(json);
    if (value.isNull()) return QStringLiteral("null");
    if (!value.isObject() && !value.isArray()) // a scalar: JSON text as stored
        return QString::fromUtf8(json);
    const QJsonDocument doc =
        value.isObject() ? QJsonDocument(value.toObject()) : QJsonDocument(value.toArray());
    return QString::fromUtf8(doc.toJson(QJsonDocument::Indented)).trimmed();
}

// Asks for a name-like field and a JSON value; OK stays off until the JSON parses.
bool askJson(QWidget* parent, const QString& title, const QString& fieldLabel, QString* field,
             const QString& jsonLabel, QByteArray* json, bool fieldRequired) {
    QDialog dialog(parent);
    dialog.setWindowTitle(title);
    auto* form = new QFormLayout(&dialog);
    auto* line = new QLineEdit(*field, &dialog);
    auto* text = new QPlainTextEdit(QString::fromUtf8(*json), &dialog);
    text->setTabChangesFocus(true);
    auto* error = new QLabel(&dialog);
    error->setWordWrap(true);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    form->addRow(fieldLabel, line);
    form->addRow(jsonLabel, text);
    form->addRow(error);
    form->addRow(buttons);
    const auto check = [&] {
        const QByteArray bytes = text->toPlainText().toUtf8().trimmed();
        QJsonParseError parse{};
        if (!bytes.isEmpty()) QJsonDocument::fromJson("[" + bytes + "]", &parse);
        const bool jsonOk = bytes.isEmpty() || parse.error == QJsonParseError::NoError;
        error->setText(jsonOk ? QString()
                              : QObject::tr("Not JSON: %1 (at character %2)")
                                    .arg(parse.errorString())
                                    .arg(qMax(0, parse.offset - 1)));
        buttons->button(QDialogButtonBox::Ok)
            ->setEnabled(jsonOk && (!fieldRequired || !line->text().trimmed().isEmpty()));
    };
    QObject::connect(text, &QPlainTextEdit::textChanged, &dialog, check);
    QObject::connect(line, &QLineEdit::textChanged, &dialog, check);
    QObject::connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    check();
    dialog.resize(460, 300);
    if (dialog.exec() != QDialog::Accepted) return false;
    *field = line->text().trimmed();
    *json = text->toPlainText().toUtf8().trimmed();
    return true;
}

} // namespace

WorkflowBrowser::WorkflowBrowser(const QString& path, const QString& title, QWidget* parent)
    : QWidget(parent)
    , m_doc(new WorkflowDocument(path, this))
    , m_filter(new QSortFilterProxyModel(this))
    , m_table(new QTableView(this))
    , m_counts(new QLabel(this))
    , m_statusFilter(new QComboBox(this))
    , m_timeline(new WorkflowTimeline(m_doc->steps(), this))
    , m_search(new QLineEdit(this))
    , m_details(new QPlainTextEdit(this))
    , m_openSource(new QPushButton(tr("Open source"), this))
    , m_status(new QLabel(this))
    , m_live(new QTimer(this))
    , m_title(title) {
    setObjectName(QStringLiteral("workflowBrowser"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    buildToolbar(layout);

    m_filter->setSourceModel(m_doc->instances());
    m_filter->setFilterRole(WorkflowInstancesModel::StatusRole);
    m_table->setModel(m_filter);
    m_table->setObjectName(QStringLiteral("workflowInstances"));
    compactRows(m_table, true);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setStretchLastSection(true);

    m_search->setPlaceholderText(tr("Search steps"));
    m_search->setClearButtonEnabled(true);
    m_search->setObjectName(QStringLiteral("workflowStepSearch"));
    connect(m_search, &QLineEdit::textChanged, m_timeline, &WorkflowTimeline::setFilter);
    auto* timelineBox = new QWidget(this);
    auto* timelineLayout = new QVBoxLayout(timelineBox);
    timelineLayout->setContentsMargins(0, 0, 0, 0);
    auto* timelineBar = new QHBoxLayout;
    timelineBar->addWidget(m_search, 1);
    const auto zoomButton = [&](const QString& text, const QString& tip, auto fn) {
        auto* b = new QToolButton(this);
        b->setText(text);
        b->setToolTip(tip);
        connect(b, &QToolButton::clicked, m_timeline, fn);
        timelineBar->addWidget(b);
    };
    zoomButton(QStringLiteral("+"), tr("Zoom in (+, Ctrl+wheel)"), &WorkflowTimeline::zoomIn);
    zoomButton(QStringLiteral("\u2212"), tr("Zoom out (-)"), &WorkflowTimeline::zoomOut);
    zoomButton(tr("Fit"), tr("Show every step (0)"), &WorkflowTimeline::fit);
    timelineLayout->addLayout(timelineBar);
    timelineLayout->addWidget(m_timeline, 1);

    m_details->setReadOnly(true);
    m_details->setObjectName(QStringLiteral("workflowDetails"));
    m_details->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_details->setPlaceholderText(tr("Select an instance or a step"));
    auto* detailsBox = new QWidget(this);
    auto* detailsLayout = new QVBoxLayout(detailsBox);
    detailsLayout->setContentsMargins(0, 0, 0, 0);
    detailsLayout->addWidget(m_details, 1);
    detailsLayout->addWidget(m_openSource);
    m_openSource->setEnabled(false);

    auto* lower = new QSplitter(Qt::Horizontal, this);
    lower->addWidget(timelineBox);
    lower->addWidget(detailsBox);
    lower->setStretchFactor(0, 3);
    lower->setStretchFactor(1, 1);
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_table);
    split->addWidget(lower);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 2);
    layout->addWidget(split, 1);
    m_status->setObjectName(QStringLiteral("workflowStatus"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_status);

    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &WorkflowBrowser::selectionChanged);
    connect(m_timeline, &WorkflowTimeline::stepSelected, this, [this] {
        showDetails();
        updateActions();
    });
    connect(m_timeline, &WorkflowTimeline::stepActivated, this, [this] { m_openSource->click(); });
    connect(m_openSource, &QPushButton::clicked, this, [this] {
        const int row = m_timeline->selectedRow();
        if (row < 0) return;
        const QString source = m_doc->steps()->step(row).source;
        const int colon = source.lastIndexOf(QLatin1Char(':'));
        if (colon > 0) Q_EMIT openSource(source.left(colon), source.mid(colon + 1).toInt());
    });
    connect(m_doc, &WorkflowDocument::loaded, this, [this] {
        m_counts->setText(countsText());
        showDetails();
        updateActions();
        if (m_doc->missing())
            m_status->setText(
                tr("%1 has no instances yet: create one, or run the worker").arg(m_title));
        else if (!m_doc->error().isEmpty())
            m_status->setText(m_doc->error());
    });
    connect(m_doc, &WorkflowDocument::actionFinished, this,
            [this](const QString& what, const QString& error) {
                m_status->setText(error.isEmpty() ? tr("%1: done").arg(what)
                                                  : tr("%1 failed: %2").arg(what, error));
            });
    connect(m_live, &QTimer::timeout, this, &WorkflowBrowser::tick);
    m_live->start(100);
    updateActions();
}

void WorkflowBrowser::buildToolbar(QVBoxLayout* layout) {
    auto* bar = new QHBoxLayout;
    const auto button = [&](const QString& text, const QString& name, auto fn,
                            bool needsSelection) {
        auto* b = new QToolButton(this);
        b->setText(text);
        b->setObjectName(name);
        connect(b, &QToolButton::clicked, this, fn);
        bar->addWidget(b);
        if (needsSelection) m_instanceActions << b;
        return b;
    };
    button(
        tr("New\u2026"), QStringLiteral("wfNew"), [this] { askCreate(); }, false);
    button(
        tr("Pause"), QStringLiteral("wfPause"), [this] { control(WorkflowAction::Pause); }, true);
    button(
        tr("Resume"), QStringLiteral("wfResume"), [this] { control(WorkflowAction::Resume); },
        true);
    button(
        tr("Terminate"), QStringLiteral("wfTerminate"),
        [this] { control(WorkflowAction::Terminate); }, true);
    button(
        tr("Restart"), QStringLiteral("wfRestart"), [this] { control(WorkflowAction::Restart); },
        true);
    m_restartFrom = button(
        tr("Restart from Step"), QStringLiteral("wfRestartFrom"),
        [this] { restartFromSelectedStep(); }, false);
    m_restartFrom->setToolTip(tr("Run the instance again from the step chosen on the timeline, "
                                 "keeping the steps before it"));
    button(
        tr("Send event\u2026"), QStringLiteral("wfSendEvent"), [this] { askSendEvent(); }, true);
    button(
        tr("Delete"), QStringLiteral("wfDelete"), [this] { deleteSelected(); }, true);
    bar->addStretch(1);
    layout->addLayout(bar);
    // Counts and the filter on a row of their own: the buttons fill a narrow window already.
    bar = new QHBoxLayout;
    m_counts->setObjectName(QStringLiteral("workflowCounts"));
    m_counts->setTextInteractionFlags(Qt::TextSelectableByMouse);
    bar->addWidget(m_counts, 1);
    m_statusFilter->addItem(tr("All statuses"), QString());
    for (const char* s : kStatuses)
        m_statusFilter->addItem(QLatin1String(s), QLatin1String(s));
    m_statusFilter->setObjectName(QStringLiteral("workflowStatusFilter"));
    connect(m_statusFilter, &QComboBox::currentIndexChanged, this,
            [this] { setStatusFilter(m_statusFilter->currentData().toString()); });
    bar->addWidget(m_statusFilter);
    layout->addLayout(bar);
}

QString WorkflowBrowser::countsText() const {
    QStringList parts;
    int total = 0;
    for (const auto& [status, n] : m_doc->instances()->statusCounts()) {
        parts << QStringLiteral("%1 %2").arg(n).arg(status);
        total += n;
    }
    return total == 0 ? tr("no instances")
                      : tr("%n instance(s): ", nullptr, total) + parts.join(QStringLiteral(", "));
}

QString WorkflowBrowser::statusText() const {
    return m_status->text();
}

void WorkflowBrowser::setStatusFilter(const QString& status) {
    m_filter->setFilterRegularExpression(
        status.isEmpty()
            ? QRegularExpression()
            : QRegularExpression(QLatin1Char('^') + QRegularExpression::escape(status) +
                                 QLatin1Char('$')));
    const int index = m_statusFilter->findData(status);
    if (index >= 0 && index != m_statusFilter->currentIndex())
        m_statusFilter->setCurrentIndex(index);
}

void WorkflowBrowser::selectInstances(const QStringList& ids) {
    QItemSelection selection;
    for (const QString& id : ids) {
        const int row = m_doc->instances()->rowOf(id);
        if (row < 0) continue;
        const QModelIndex index = m_filter->mapFromSource(m_doc->instances()->index(row, 0));
        if (index.isValid()) selection.select(index, index);
    }
    m_table->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect |
                                                     QItemSelectionModel::Rows);
}

QStringList WorkflowBrowser::selectedInstances() const {
    QStringList ids;
    for (const QModelIndex& index : m_table->selectionModel()->selectedRows())
        ids << index.data(WorkflowInstancesModel::IdRole).toString();
    return ids;
}

void WorkflowBrowser::selectionChanged() {
    m_doc->setShown(selectedInstances());
    showDetails();
    updateActions();
}

void WorkflowBrowser::showDetails() {
    const int row = m_timeline->selectedRow();
    QString text;
    m_openSource->setEnabled(false);
    if (row >= 0 && row < m_doc->steps()->rowCount()) {
        const WorkflowStep& s = m_doc->steps()->step(row);
        text = tr("Step %1 (%2) of %3\nState: %4\n")
                   .arg(s.name, workflowStepKindName(s.kind), m_doc->steps()->instanceOf(row),
                        s.state);
        if (!s.source.isEmpty()) text += tr("Declared at: %1\n").arg(s.source);
        m_openSource->setEnabled(!s.source.isEmpty());
        if (!s.errorName.isEmpty() || !s.errorMessage.isEmpty())
            text += tr("\nError:\n%1: %2\n").arg(s.errorName, s.errorMessage);
        if (!s.output.isNull()) text += tr("\nOutput:\n%1\n").arg(pretty(s.output));
        if (!s.config.isEmpty()) text += tr("\nConfig:\n%1\n").arg(pretty(s.config));
        for (const WorkflowAttempt& a : s.attempts)
            if (!a.success && a.endedMs > 0)
                text += tr("\nAttempt %1 failed: %2: %3")
                            .arg(a.attempt)
                            .arg(a.errorName, a.errorMessage);
    } else if (const QStringList ids = selectedInstances(); ids.size() == 1) {
        const int r = m_doc->instances()->rowOf(ids.front());
        if (r >= 0) {
            const WorkflowInstance& i = m_doc->instances()->instance(r);
            text = tr("Instance %1\nStatus: %2\n\nParams:\n%3\n")
                       .arg(i.id, workflowStatusName(i.status), pretty(i.params));
            if (!i.output.isNull()) text += tr("\nOutput:\n%1\n").arg(pretty(i.output));
            if (!i.errorName.isEmpty() || !i.errorMessage.isEmpty())
                text += tr("\nError:\n%1: %2\n").arg(i.errorName, i.errorMessage);
        }
    }
    if (text != m_details->toPlainText()) m_details->setPlainText(text);
}

void WorkflowBrowser::updateActions() {
    const bool any = !selectedInstances().isEmpty();
    for (QToolButton* b : std::as_const(m_instanceActions))
        b->setEnabled(any);
    m_restartFrom->setEnabled(m_timeline->selectedRow() >= 0 &&
                              m_doc->steps()->instances().size() == 1);
}

void WorkflowBrowser::tick() {
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    bool running = m_doc->steps()->anyRunning();
    for (const WorkflowInstance& i : m_doc->snapshot().instances)
        running = running || !workflowStatusFinished(i.status);
    if (!running && m_timeline->now() != 0) return;
    m_doc->instances()->setNow(now);
    m_timeline->setNow(now);
}

void WorkflowBrowser::createInstance(const QString& id, const QByteArray& params) {
    m_doc->create(id, params);
}

void WorkflowBrowser::control(WorkflowAction action) {
    const QStringList ids = selectedInstances();
    if (!ids.isEmpty()) m_doc->control(ids, action);
}

void WorkflowBrowser::restartFromSelectedStep() {
    const int row = m_timeline->selectedRow();
    if (row < 0) return;
    m_doc->control({m_doc->steps()->instanceOf(row)}, WorkflowAction::Restart,
                   m_doc->steps()->step(row).key);
}

void WorkflowBrowser::sendEvent(const QString& type, const QByteArray& payload) {
    for (const QString& id : selectedInstances())
        m_doc->sendEvent(id, type, payload);
}

void WorkflowBrowser::deleteSelected(bool ask) {
    const QStringList ids = selectedInstances();
    if (ids.isEmpty()) return;
    if (ask && QMessageBox::question(this, tr("Delete instances"),
                                     tr("Delete %n instance(s) with their steps and events?",
                                        nullptr, int(ids.size()))) != QMessageBox::Yes)
        return;
    m_doc->remove(ids);
}

void WorkflowBrowser::refresh() {
    m_doc->refresh();
}

void WorkflowBrowser::askCreate() {
    QString id;
    QByteArray params("{}");
    if (askJson(this, tr("New %1 instance").arg(m_title), tr("Id (empty: a random one)"), &id,
                tr("Params (JSON)"), &params, false))
        createInstance(id, params);
}

void WorkflowBrowser::askSendEvent() {
    QString type;
    QByteArray payload("{}");
    if (askJson(this, tr("Send an event"), tr("Type"), &type, tr("Payload (JSON)"), &payload, true))
        sendEvent(type, payload);
}

} // namespace kiln
