#pragma once

#include "stores/statelayout.h"

#include <QWidget>

#include <memory>

class QTreeWidget;
class QTreeWidgetItem;

namespace kiln {

struct ProjectConfig;

// The "Data" area: every KV namespace, D1 database and R2 bucket of the project's config,
// and any other store found under the state folder (left there by an earlier config), each
// opened in a tab by a double-click or Enter. Lists files only: it never opens a store.
class DataPane : public QWidget {
    Q_OBJECT
public:
    explicit DataPane(QWidget* parent = nullptr);
    ~DataPane() override;

    // The stores of `project` under `layout`; a null project lists only what is on disk.
    void setProject(const ProjectConfig* project, const StateLayout& layout);
    const std::vector<StoreLocation>& stores() const { return m_stores; }
    QTreeWidget* tree() const { return m_tree; }
    // Greys out the stores that have no file yet, and shows the others as usual again.
    void updateExistence();
    // Copies the config's stores from wrangler's local state (`v3Dir`, by default the
    // project's .wrangler/state/v3) into Kiln's, on a background thread; `imported` tells how
    // it went. Stores Kiln already has data in are replaced only with `replace`.
    void importWranglerState(const QString& v3Dir, bool replace);
    // The same, asking the person: which folder when the project has none, and whether to
    // replace stores that already hold data.
    void askToImportWranglerState();

Q_SIGNALS:
    void openRequested(const kiln::StoreLocation& store);
    // `done`: what was copied; `skipped`: stores left because Kiln has data there; `error`
    // non-empty when it stopped.
    void imported(const QStringList& done, const QStringList& skipped, const QString& error);

private:
    QTreeWidget* m_tree;
    std::vector<StoreLocation> m_stores;
    std::shared_ptr<const ProjectConfig> m_project;
    StateLayout m_layout{QString()};
    std::unique_ptr<class StoreLoader> m_loader; // imports; destroyed first
};

} // namespace kiln
