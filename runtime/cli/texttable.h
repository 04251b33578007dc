#pragma once

#include <QStringList>

#include <vector>

namespace kiln {

// A boxed table on stdout, as wrangler draws its result tables. Cells are plain text
// (columns are as wide as their widest cell in characters).
void printTextTable(const QStringList& columns, const std::vector<QStringList>& rows);

} // namespace kiln
