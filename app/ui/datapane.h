#pragma once

#include "stores/statelayout.h"

#include <QWidget>

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

    // The stores of `project` under `layout`; a null project lists only what is on disk.
    void setProject(const ProjectConfig* project, const StateLayout& layout);
    const std::vector<StoreLocation>& stores() const { return m_stores; }
    QTreeWidget* tree() const { return m_tree; }
    // Greys out the stores that have no file yet, and shows the others as usual again.
    void updateExistence();

Q_SIGNALS:
    void openRequested(const kiln::StoreLocation& store);

private:
    QTreeWidget* m_tree;
    std::vector<StoreLocation> m_stores;
};

} // namespace kiln
