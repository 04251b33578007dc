#include "d1migrationsview.h"

#include "stores/d1reader.h"

#include <QDir>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QProcess>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <set>

namespace kiln {

D1MigrationsView::D1MigrationsView(Setup setup, QWidget* parent)
    : QWidget(parent)
    , m_setup(std::move(setup))
    , m_list(new QTreeWidget(this))
    , m_apply(new QPushButton(tr("Apply Pending"), this))
    , m_status(new QLabel(this)) {
    m_list->setHeaderLabels({tr("Migration"), tr("State")});
    m_list->setRootIsDecorated(false);
    m_list->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // A long message is cut, not obeyed: the window must never grow past the screen for it.
    m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_status->setWordWrap(true);
    auto* refreshButton = new QPushButton(tr("Refresh"), this);
    auto* bar = new QHBoxLayout;
    bar->addWidget(
        new QLabel(tr("Folder: %1").arg(QDir::toNativeSeparators(m_setup.migrationsDir)), this), 1);
    bar->addWidget(refreshButton);
    bar->addWidget(m_apply);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(m_list, 1);
    layout->addWidget(m_status);
    connect(refreshButton, &QPushButton::clicked, this, &D1MigrationsView::refresh);
    connect(m_apply, &QPushButton::clicked, this, &D1MigrationsView::applyPending);
    refresh();
}

QString D1MigrationsView::statusText() const {
    return m_status->text();
}

// A folder listing and one small SELECT: quick enough for the GUI thread (the reader never
// waits for a lock).
void D1MigrationsView::refresh() {
    std::set<QString> applied;
    D1Reader reader(m_setup.databasePath);
    auto table = reader.check(QStringLiteral("SELECT name FROM d1_migrations"));
    if (table && table->error.isEmpty())
        if (auto rows = reader.query(QStringLiteral("SELECT name FROM d1_migrations"), 100000))
            for (const auto& row : rows->rows)
                if (const auto* name = std::get_if<QString>(&row[0])) applied.insert(*name);
    m_list->clear();
    m_pending = 0;
    const QStringList files =
        QDir(m_setup.migrationsDir).entryList({QStringLiteral("*.sql")}, QDir::Files, QDir::Name);
    for (const QString& file : files) {
        const bool done = applied.count(file) > 0;
        auto* item = new QTreeWidgetItem(m_list, {file, done ? tr("applied") : tr("pending")});
        if (!done) {
            ++m_pending;
            QFont bold = item->font(1);
            bold.setBold(true);
            item->setFont(1, bold);
        }
    }
    m_apply->setEnabled(m_pending > 0);
    if (files.isEmpty())
        m_status->setText(tr("No migrations in %1").arg(m_setup.migrationsDir));
    else
        m_status->setText(
            tr("%1 applied, %2 pending").arg(files.size() - m_pending).arg(m_pending));
    Q_EMIT refreshed();
}

void D1MigrationsView::applyPending() {
    m_apply->setEnabled(false);
    m_status->setText(tr("Applying…"));
    auto* process = new QProcess(this);
    process->setProcessChannelMode(QProcess::MergedChannels);
    process->setWorkingDirectory(m_setup.projectDir);
    QStringList args{QStringLiteral("d1"), QStringLiteral("migrations"), QStringLiteral("apply"),
                     m_setup.databaseName, QStringLiteral("-c"),         m_setup.projectDir};
    if (!m_setup.persistDir.isEmpty()) args << QStringLiteral("--persist-to") << m_setup.persistDir;
    connect(process, &QProcess::finished, this,
            [this, process](int code, QProcess::ExitStatus status) {
                process->deleteLater();
                const QString said = QString::fromUtf8(process->readAll()).trimmed();
                const bool ok = status == QProcess::NormalExit && code == 0;
                refresh();
                m_status->setText(ok ? said : tr("kiln d1 migrations apply failed: %1").arg(said));
                Q_EMIT applied(ok);
            });
    connect(process, &QProcess::errorOccurred, this, [this, process](QProcess::ProcessError error) {
        if (error != QProcess::FailedToStart) return;
        process->deleteLater();
        m_status->setText(tr("Cannot run %1: %2").arg(m_setup.kiln, process->errorString()));
        Q_EMIT applied(false);
    });
    process->start(m_setup.kiln, args);
}

} // namespace kiln
