#include "profilerpane.h"

#include "importicicle.h"
#include "phasewaterfall.h"
#include "profilejob.h"

#include <QChart>
#include <QChartView>
#include <QDateTimeAxis>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineSeries>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QTabWidget>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <QValueAxis>

namespace kiln {

namespace {

QWidget* scrolled(QWidget* inner, QWidget* parent) {
    auto* area = new QScrollArea(parent);
    area->setWidget(inner);
    area->setWidgetResizable(true);
    return area;
}

} // namespace

ProfilerPane::ProfilerPane(const QString& kiln, const QString& projectDir,
                           const QStringList& importRoots, QWidget* parent)
    : QWidget(parent)
    , m_kiln(kiln)
    , m_projectDir(projectDir)
    , m_importRoots(importRoots)
    , m_job(new ProfileJob(this))
    , m_runs(new QSpinBox(this))
    , m_start(new QPushButton(tr("Profile"), this))
    , m_export(new QPushButton(tr("Export Trace\u2026"), this))
    , m_progress(new QProgressBar(this))
    , m_status(new QLabel(this))
    , m_tabs(new QTabWidget(this))
    , m_waterfall(new PhaseWaterfall(this))
    , m_icicle(new ImportIcicle(this))
    , m_checks(new QTreeWidget(this))
    , m_chart(new QChartView(this)) {
    setObjectName(QStringLiteral("profilerPane"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Starts per mode"), this));
    m_runs->setRange(1, 20);
    m_runs->setValue(3);
    bar->addWidget(m_runs);
    bar->addWidget(m_start);
    bar->addWidget(m_progress, 1);
    bar->addWidget(m_export);
    m_export->setEnabled(false);
    layout->addLayout(bar);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setWordWrap(true);
    m_status->setText(tr("Each start is a fresh kiln dev process, without and with the code "
                         "cache; a run of 3 takes about half a minute."));
    layout->addWidget(m_status);

    m_tabs->addTab(scrolled(m_waterfall, this), tr("Phases"));
    m_tabs->addTab(scrolled(m_icicle, this), tr("Imports"));
    m_checks->setHeaderLabels({tr("Check"), tr("Result"), tr("Detail")});
    m_checks->setRootIsDecorated(false);
    m_checks->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_tabs->addTab(m_checks, tr("Deploy checks"));
    m_chart->setRenderHint(QPainter::Antialiasing);
    m_tabs->addTab(m_chart, tr("History"));
    layout->addWidget(m_tabs, 1);

    connect(m_start, &QPushButton::clicked, this, [this] {
        if (running()) return cancel();
        run(m_runs->value());
    });
    connect(m_export, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getSaveFileName(
            this, tr("Export the trace"), QDir(m_projectDir).filePath(QStringLiteral("trace.json")),
            tr("Trace-event JSON (*.json)"));
        if (!file.isEmpty() && !exportTrace(file))
            m_status->setText(tr("Could not write %1").arg(file));
    });
    connect(m_job, &ProfileJob::progress, this, [this](int done, int total, const QString& text) {
        m_progress->setRange(0, total);
        m_progress->setValue(done);
        m_status->setText(text);
    });
    connect(m_job, &ProfileJob::finished, this, [this](const ProfileResult& result) {
        m_start->setText(tr("Profile"));
        showResult(result);
        m_history.add(result);
        QDir(m_projectDir).mkpath(QStringLiteral(".kiln"));
        m_history.save(historyFile());
        updateChart();
        Q_EMIT finished();
    });
    connect(m_job, &ProfileJob::failed, this, [this](const QString& error) {
        m_start->setText(tr("Profile"));
        m_status->setText(tr("The profile failed: %1").arg(error));
        Q_EMIT finished();
    });
    connect(m_icicle, &ImportIcicle::moduleActivated, this, [this](const QString& module) {
        const QString file = moduleFile(module);
        if (file.isEmpty())
            m_status->setText(tr("%1 is not one of the project's files").arg(module));
        else
            Q_EMIT openFile(file, 1);
    });
    m_history = ProfileHistory::load(historyFile());
    updateChart();
}

QString ProfilerPane::historyFile() const {
    return QDir(m_projectDir).filePath(QStringLiteral(".kiln/profiles.json"));
}

void ProfilerPane::run(int runs) {
    m_start->setText(tr("Cancel"));
    m_job->start(m_kiln, m_projectDir, runs);
}

void ProfilerPane::cancel() {
    m_job->cancel();
}

bool ProfilerPane::running() const {
    return m_job->running();
}

QString ProfilerPane::statusText() const {
    return m_status->text();
}

bool ProfilerPane::exportTrace(const QString& file) {
    if (m_job->traceFile().isEmpty()) return false;
    QFile::remove(file);
    return QFile::copy(m_job->traceFile(), file);
}

QString ProfilerPane::moduleFile(const QString& module) const {
    const QString relative = QString(module).replace(QLatin1Char('.'), QLatin1Char('/'));
    for (const QString& root : m_importRoots) {
        for (const QString& candidate :
             {relative + QStringLiteral(".py"), relative + QStringLiteral("/__init__.py")}) {
            const QString path = QDir(root).filePath(candidate);
            if (QFileInfo::exists(path)) return path;
        }
    }
    return {};
}

void ProfilerPane::showResult(const ProfileResult& result) {
    m_result = result;
    m_waterfall->setResult(result);
    m_icicle->setImports(result.imports);
    m_checks->clear();
    for (const auto& c : result.checks) {
        auto* item = new QTreeWidgetItem(m_checks, {c.name, c.verdict.toUpper(), c.detail});
        const QColor color = c.verdict == QLatin1String("pass")   ? QColor(46, 125, 50)
                             : c.verdict == QLatin1String("warn") ? QColor(239, 108, 0)
                             : c.verdict == QLatin1String("fail") ? QColor(198, 40, 40)
                                                                  : palette().color(QPalette::Mid);
        item->setForeground(1, color);
        QFont bold = item->font(1);
        bold.setBold(true);
        item->setFont(1, bold);
    }
    QStringList summary;
    for (const auto& m : result.modes) {
        const auto it = m.figures.find(QStringLiteral("first 200"));
        if (it != m.figures.end())
            summary << tr("%1: first 200 in %2 ms").arg(m.name).arg(it->second.median, 0, 'f', 0);
    }
    m_status->setText(summary.join(QStringLiteral(" \u00b7 ")));
    m_export->setEnabled(!m_job->traceFile().isEmpty());
}

void ProfilerPane::updateChart() {
    auto* chart = new QChart;
    chart->setTitle(tr("Cold start, process spawn to first 200 (median per run)"));
    auto* x = new QDateTimeAxis;
    x->setFormat(QStringLiteral("MM-dd HH:mm"));
    auto* y = new QValueAxis;
    y->setTitleText(tr("ms"));
    y->setLabelFormat(QStringLiteral("%d"));
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    std::map<QString, QLineSeries*> series;
    double top = 100;
    qint64 first = 0, last = 0;
    for (const auto& e : m_history.entries) {
        for (const auto& [mode, ms] : e.firstResponseMs) {
            QLineSeries*& s = series[mode];
            if (!s) {
                s = new QLineSeries;
                s->setName(mode);
                s->setPointsVisible(true);
                chart->addSeries(s);
                s->attachAxis(x);
                s->attachAxis(y);
            }
            s->append(double(e.when.toMSecsSinceEpoch()), ms);
            top = std::max(top, ms);
        }
        const qint64 t = e.when.toMSecsSinceEpoch();
        first = first ? std::min(first, t) : t;
        last = std::max(last, t);
    }
    if (first == last) last = first + 60000; // one run: a minute's width
    x->setRange(QDateTime::fromMSecsSinceEpoch(first), QDateTime::fromMSecsSinceEpoch(last));
    y->setRange(0, top * 1.1);
    QChart* old = m_chart->chart();
    m_chart->setChart(chart);
    delete old;
}

} // namespace kiln
