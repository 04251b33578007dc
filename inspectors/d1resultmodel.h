#pragma once

#include "stores/sqlitedb.h"

#include <QAbstractTableModel>
#include <QStringList>

#include <vector>

namespace kiln {

// The rows one console statement returned, as a read-only grid (values shown as the table
// grid shows them: NULL, numbers, text on one line, BLOB sizes). The rows are a snapshot
// the console read on its background thread, capped there.
class D1ResultModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Role { ValueRole = Qt::UserRole + 1 };
    D1ResultModel(QStringList columns, std::vector<std::vector<SqlValue>> rows,
                  QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    // The rows as CSV (RFC 4180: quoted when needed, CRLF line ends), header first.
    QByteArray toCsv() const;

private:
    QStringList m_columns;
    std::vector<std::vector<SqlValue>> m_rows;
};

} // namespace kiln
