#pragma once

#include <QAbstractTableModel>

#include <vector>

namespace kiln {

// The rows of a listing kept in key order (KV keys, R2 objects and folders), with the two
// ways a new read lands in them: appended (the next page) or merged in place (a re-read after
// a change), where one walk over both sorted lists inserts what came, removes what went and
// reports what changed, so the view keeps its selection and scroll position. `KeyOf` gives a
// row's key (ordered as the store orders keys: bytes, unsigned); `Same` tells whether two rows
// with one key show the same thing.
template <typename Row> class SortedRowsModel : public QAbstractTableModel {
public:
    using QAbstractTableModel::QAbstractTableModel;

    int rowCount(const QModelIndex& parent = {}) const override {
        return parent.isValid() ? 0 : int(m_rows.size());
    }

protected:
    template <typename KeyOf, typename Same>
    void mergeRows(std::vector<Row> fresh, KeyOf keyOf, Same same) {
        size_t i = 0, j = 0;
        const int lastColumn = columnCount() - 1;
        while (j < fresh.size()) {
            if (i < m_rows.size() && keyOf(m_rows[i]) == keyOf(fresh[j])) {
                if (!same(m_rows[i], fresh[j])) {
                    m_rows[i] = std::move(fresh[j]);
                    Q_EMIT this->dataChanged(this->index(int(i), 0),
                                             this->index(int(i), lastColumn));
                }
                ++i, ++j;
            } else if (i < m_rows.size() && keyOf(m_rows[i]) < keyOf(fresh[j])) {
                this->beginRemoveRows({}, int(i), int(i));
                m_rows.erase(m_rows.begin() + qsizetype(i));
                this->endRemoveRows();
            } else {
                this->beginInsertRows({}, int(i), int(i));
                m_rows.insert(m_rows.begin() + qsizetype(i), std::move(fresh[j]));
                this->endInsertRows();
                ++i, ++j;
            }
        }
        if (i < m_rows.size()) {
            this->beginRemoveRows({}, int(i), int(m_rows.size()) - 1);
            m_rows.erase(m_rows.begin() + qsizetype(i), m_rows.end());
            this->endRemoveRows();
        }
    }

    void appendRows(std::vector<Row> fresh) {
        if (fresh.empty()) return;
        const int at = int(m_rows.size());
        this->beginInsertRows({}, at, at + int(fresh.size()) - 1);
        for (Row& row : fresh)
            m_rows.push_back(std::move(row));
        this->endInsertRows();
    }

    void clearRows() {
        this->beginResetModel();
        m_rows.clear();
        this->endResetModel();
    }

    std::vector<Row> m_rows;
};

} // namespace kiln
