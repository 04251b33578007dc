#include "datapane.h"

#include "project/projectconfig.h"

#include <QDir>
#include <QFileInfo>
#include <QHeaderView>
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
    for (const auto& [folder, kind] : {std::pair{QStringLiteral("kv"), StoreKind::Kv},
                                       std::pair{QStringLiteral("d1"), StoreKind::D1}}) {
        const QDir dir(root.filePath(folder));
        for (const QFileInfo& file :
             dir.entryInfoList({QStringLiteral("*.sqlite")}, QDir::Files, QDir::Name)) {
            if (isKnown(file.absoluteFilePath())) continue;
            found.push_back({QString(), kind, file.completeBaseName(), file.absoluteFilePath()});
        }
    }
    const QDir r2(root.filePath(QStringLiteral("r2")));
    for (const QFileInfo& bucket :
         r2.entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
        if (isKnown(bucket.absoluteFilePath())) continue;
        found.push_back({QString(), StoreKind::R2, bucket.fileName(), bucket.absoluteFilePath()});
    }
    return found;
}

} // namespace

DataPane::DataPane(QWidget* parent)
    : QWidget(parent)
    , m_tree(new QTreeWidget(this)) {
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

void DataPane::setProject(const ProjectConfig* project, const StateLayout& layout) {
    m_tree->clear();
    m_stores = project ? layout.locations(*project) : std::vector<StoreLocation>();
    const size_t configured = m_stores.size();
    for (StoreLocation& extra : leftovers(layout, m_stores))
        m_stores.push_back(std::move(extra));
    const struct {
        StoreKind kind;
        QString title;
    } groups[] = {{StoreKind::Kv, tr("KV namespaces")},
                  {StoreKind::D1, tr("D1 databases")},
                  {StoreKind::R2, tr("R2 buckets")}};
    for (const auto& group : groups) {
        auto* top = new QTreeWidgetItem(m_tree, {group.title});
        for (size_t i = 0; i < m_stores.size(); ++i) {
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

} // namespace kiln
