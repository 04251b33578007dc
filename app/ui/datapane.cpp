#include "datapane.h"

#include "project/projectconfig.h"
#include "storeloader.h"
#include "stores/wranglerstate.h"

#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QMessageBox>
#include <QTreeWidget>
#include <QTreeWidgetItemIterator>
#include <QVBoxLayout>

namespace kiln {

namespace {

// Stores on disk that no binding of the config names: a namespace or database from an
// earlier config, or one another tool wrote.
std::vector<StoreLocation> leftovers(const StateLayout& layout,
                                     const std::vector<StoreLocation>& known) {
    std::vector<StoreLocation> found;
    const auto isKnown = [&](const QString& path) {
        for (const StoreLocation& k : known)
            if (QFileInfo(k.path) == QFileInfo(path)) return true;
        return false;
    };
    const QDir root(layout.root());
    for (const auto& [folder, kind] :
         {std::pair{QStringLiteral("kv"), StoreKind::Kv},
          std::pair{QStringLiteral("d1"), StoreKind::D1},
          std::pair{QStringLiteral("workflows"), StoreKind::Workflow}}) {
        const QDir dir(root.filePath(folder));
        for (const QFileInfo& file :
             dir.entryInfoList({QStringLiteral("*.sqlite")}, QDir::Files, QDir::Name)) {
            if (isKnown(file.absoluteFilePath())) continue;
            found.push_back(
                {QString(), kind, file.completeBaseName(), file.absoluteFilePath(), false, {}});
        }
    }
    const QDir r2(root.filePath(QStringLiteral("r2")));
    for (const QFileInfo& bucket :
         r2.entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
        if (isKnown(bucket.absoluteFilePath())) continue;
        found.push_back(
            {QString(), StoreKind::R2, bucket.fileName(), bucket.absoluteFilePath(), false, {}});
    }
    return found;
}

} // namespace

DataPane::DataPane(QWidget* parent)
    : QWidget(parent)
    , m_tree(new QTreeWidget(this))
    , m_loader(std::make_unique<StoreLoader>()) {
    m_tree->setObjectName(QStringLiteral("dataTree"));
    m_tree->setHeaderHidden(true);
    m_tree->setRootIsDecorated(true);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_tree);
    connect(m_tree, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem* item) {
        const QVariant index = item->data(0, Qt::UserRole);
        if (index.isValid() && index.toInt() < int(m_stores.size()))
            Q_EMIT openRequested(m_stores[size_t(index.toInt())]);
    });
}

DataPane::~DataPane() = default;

void DataPane::setProject(const ProjectConfig* project, const StateLayout& layout) {
    m_project = project ? std::make_shared<const ProjectConfig>(*project) : nullptr;
    m_layout = layout;
    m_tree->clear();
    m_stores = project ? layout.locations(*project) : std::vector<StoreLocation>();
    const size_t configured = m_stores.size();
    for (StoreLocation& extra : leftovers(layout, m_stores))
        m_stores.push_back(std::move(extra));
    const size_t ownStores = m_stores.size();
    if (project) // what `wrangler dev` left in this project, to look at or import
        for (StoreLocation& store :
             WranglerState(WranglerState::defaultDir(project->rootDir)).locations(*project))
            m_stores.push_back(std::move(store));
    const struct {
        StoreKind kind;
        QString title;
    } groups[] = {{StoreKind::Kv, tr("KV namespaces")},
                  {StoreKind::D1, tr("D1 databases")},
                  {StoreKind::R2, tr("R2 buckets")},
                  {StoreKind::Workflow, tr("Workflows")}};
    for (const auto& group : groups) {
        auto* top = new QTreeWidgetItem(m_tree, {group.title});
        for (size_t i = 0; i < ownStores; ++i) {
            const StoreLocation& store = m_stores[i];
            if (store.kind != group.kind) continue;
            auto* item = new QTreeWidgetItem(
                top, {i < configured ? QStringLiteral("%1  (%2)").arg(store.binding, store.id)
                                     : tr("%1  (not in the config)").arg(store.id)});
            item->setData(0, Qt::UserRole, int(i));
        }
        if (top->childCount() == 0) {
            auto* none = new QTreeWidgetItem(top, {tr("none in the config")});
            none->setFlags(Qt::NoItemFlags);
        }
    }
    if (m_stores.size() > ownStores) {
        auto* top = new QTreeWidgetItem(m_tree, {tr("Wrangler's state (read-only)")});
        top->setToolTip(0, tr("%1\nFile > Import Wrangler State copies it into Kiln's state")
                               .arg(WranglerState::defaultDir(project->rootDir)));
        for (size_t i = ownStores; i < m_stores.size(); ++i) {
            const StoreLocation& store = m_stores[i];
            const QString kind = store.kind == StoreKind::Kv   ? QStringLiteral("KV")
                                 : store.kind == StoreKind::D1 ? QStringLiteral("D1")
                                                               : QStringLiteral("R2");
            auto* item = new QTreeWidgetItem(
                top, {QStringLiteral("%1 %2  (%3)").arg(kind, store.binding, store.id)});
            item->setData(0, Qt::UserRole, int(i));
        }
    }
    m_tree->expandAll();
    updateExistence();
}

void DataPane::updateExistence() {
    for (QTreeWidgetItemIterator it(m_tree); *it; ++it) {
        const QVariant index = (*it)->data(0, Qt::UserRole);
        if (!index.isValid()) continue;
        const StoreLocation& store = m_stores[size_t(index.toInt())];
        const bool exists = QFileInfo::exists(store.path);
        (*it)->setToolTip(0, exists ? store.path : tr("%1\nno data yet").arg(store.path));
        (*it)->setForeground(
            0, m_tree->palette().brush(exists ? QPalette::Text : QPalette::PlaceholderText));
    }
}

void DataPane::importWranglerState(const QString& v3Dir, bool replace) {
    if (!m_project) {
        Q_EMIT imported({}, {}, tr("No project config to import for"));
        return;
    }
    m_loader->run<std::expected<WranglerState::Imported, QString>>(
        [project = m_project, layout = m_layout, v3Dir, replace] {
            return WranglerState(v3Dir).import(*project, layout, replace,
                                               QDateTime::currentSecsSinceEpoch());
        },
        [this](std::expected<WranglerState::Imported, QString> result) {
            updateExistence();
            if (!result) return Q_EMIT imported({}, {}, result.error());
            Q_EMIT imported(result->done, result->skipped, {});
        });
}

void DataPane::askToImportWranglerState() {
    if (!m_project) return;
    QString dir = WranglerState::defaultDir(m_project->rootDir);
    if (!WranglerState(dir).exists()) {
        dir = QFileDialog::getExistingDirectory(
            this, tr("Wrangler's local state (a .wrangler/state/v3 folder)"), m_project->rootDir);
        if (dir.isEmpty()) return;
    }
    // First without replacing; a second pass, if the person agrees, replaces what was kept.
    auto* once = new QObject(this);
    auto replacing = std::make_shared<bool>(false);
    connect(this, &DataPane::imported, once,
            [this, once, dir, replacing](const QStringList& done, const QStringList& skipped,
                                         const QString& error) {
                const QString text =
                    error.isEmpty() ? tr("Imported from %1:\n%2")
                                          .arg(dir, done.isEmpty() ? tr("nothing")
                                                                   : done.join(QLatin1Char('\n')))
                                    : tr("The import stopped: %1").arg(error);
                if (!*replacing && !skipped.isEmpty() &&
                    QMessageBox::question(
                        this, tr("Import wrangler state"),
                        text + tr("\n\nKiln already has data in: %1. Replace it with wrangler's?")
                                   .arg(skipped.join(QStringLiteral(", ")))) == QMessageBox::Yes) {
                    *replacing = true;
                    return importWranglerState(dir, true);
                }
                once->deleteLater();
                QMessageBox::information(this, tr("Import wrangler state"), text);
            });
    importWranglerState(dir, false);
}

} // namespace kiln
