#pragma once

#include <QHeaderView>
#include <QTableView>

namespace kiln {

// How the data browsers' grids look: one line of text per row, rows as tall as the font
// (not Qt's roomier default), no wrapping. A `list` (KV keys, R2 objects) is picked by
// whole rows, several at once, without row numbers, its last column taking the rest.
inline void compactRows(QTableView* view, bool list = false) {
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 6);
    view->setWordWrap(false);
    if (!list) return;
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    view->verticalHeader()->hide();
    view->horizontalHeader()->setStretchLastSection(true);
}

} // namespace kiln
