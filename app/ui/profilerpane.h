#pragma once

#include "profileresult.h"

#include <QWidget>

class QChartView;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTabWidget;
class QTreeWidget;

namespace kiln {

class ImportIcicle;
class PhaseWaterfall;
class ProfileJob;

// Cold starts in a tab: runs `kiln profile` on the project (progress bar, Cancel) and shows
// the waterfall of boot phases per mode, the Python import tree as an icicle (click a
// project module to open it), Cloudflare's deploy checks as pass/warn/fail rows, and the
// history of cold starts across runs (kept in <project>/.kiln/profiles.json) as a chart.
// The last run's Chrome trace can be exported for Perfetto or speedscope.
class ProfilerPane : public QWidget {
    Q_OBJECT
public:
    // `importRoots`: where the project's modules live (main's folder, python_modules).
    ProfilerPane(const QString& kiln, const QString& projectDir, const QStringList& importRoots,
                 QWidget* parent = nullptr);

    void run(int runs);
    void cancel();
    bool running() const;
    bool exportTrace(const QString& file);
    const ProfileResult& result() const { return m_result; }
    const ProfileHistory& history() const { return m_history; }
    PhaseWaterfall* waterfall() const { return m_waterfall; }
    ImportIcicle* icicle() const { return m_icicle; }
    QTreeWidget* checks() const { return m_checks; }
    QTabWidget* tabs() const { return m_tabs; }
    QString statusText() const;
    // The project file a module name comes from, if it is the project's.
    QString moduleFile(const QString& module) const;

Q_SIGNALS:
    void openFile(const QString& file, int line);
    void finished();

private:
    void showResult(const ProfileResult& result);
    void updateChart();
    QString historyFile() const;

    QString m_kiln, m_projectDir;
    QStringList m_importRoots;
    ProfileJob* m_job;
    QSpinBox* m_runs;
    QPushButton* m_start;
    QPushButton* m_export;
    QProgressBar* m_progress;
    QLabel* m_status;
    QTabWidget* m_tabs;
    PhaseWaterfall* m_waterfall;
    ImportIcicle* m_icicle;
    QTreeWidget* m_checks;
    QChartView* m_chart;
    ProfileResult m_result;
    ProfileHistory m_history;
};

} // namespace kiln
