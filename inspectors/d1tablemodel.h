#pragma once

#include "storeloader.h"
#include "stores/d1database.h"
#include "stores/d1reader.h"

#include <QAbstractTableModel>
#include <QTimer>

#include <map>
#include <memory>
#include <set>

namespace kiln {

// One D1 table (or view) as the browser's grid shows it, paged the way DB Browser for
// SQLite does: the row count comes first (COUNT(*) with the filters), then rows are read a
// page at a time, on a background thread, as the view asks for them; a bounded cache keeps
// the pages near what is shown, so a million-row table opens at once and scrolls smoothly.
// Sorting and per-column filters re-read through D1Reader::select.
//
// Edits are not written as they are typed: cell changes, new rows and deletions wait as
// pending statements a person reviews (pendingSql()) and then applies in one transaction
// through D1Database, the store code the worker uses; if SQLite refuses, nothing is written
// and its message says why. A view, or a table without a rowid, is read-only (readOnlyWhy()).
// Live: data_version is polled; a change re-counts and re-reads the cached pages in place.
class D1TableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Role { ValueRole = Qt::UserRole + 1, IsNullRole, RowidRole };

    D1TableModel(QString path, QString table, QObject* parent = nullptr, int pageSize = 256);
    ~D1TableModel() override;

    const QString& table() const { return m_table; }
    void setFilters(std::vector<D1ColumnFilter> filters);
    const std::vector<D1ColumnFilter>& filters() const { return m_filters; }
    void refresh();
    void setPollInterval(int ms);
    QString error() const { return m_error; }
    // Empty when rows can be edited; otherwise why not, in words.
    QString readOnlyWhy() const;
    // Wrangler's state (or any file shown for looking only): no edits at all.
    void setReadOnly(const QString& why) { m_readOnly = why; }
    bool countKnown() const { return m_countKnown; }

    // Pending changes.
    bool setNull(const QModelIndex& index);
    void addRow(); // an INSERT ... DEFAULT VALUES, pending
    void deleteRows(const QList<int>& rows);
    int pendingCount() const;
    std::vector<D1Statement> pendingStatements() const;
    QString pendingSql() const; // the statements with their values written in, for review
    void discardPending();
    // Runs the pending statements in one transaction; `done` gets "" or SQLite's error.
    void applyPending(std::function<void(QString)> done);
    // Every row matching the filters, in the shown order, written to `path` as CSV on the
    // background thread a page at a time (memory stays flat however large the table);
    // `done` gets "" or why not. Nothing is left at `path` on failure.
    void exportCsv(const QString& path, std::function<void(QString)> done);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role) override;
    void sort(int column, Qt::SortOrder order) override;

    // How a cell value reads in the grid: NULL, numbers, text (one line), BLOB size.
    static QString displayValue(const SqlValue& value);
    // Text typed into a cell, as the value SQLite would store for the declared type.
    static SqlValue fromText(const QString& text, const QString& declaredType);

Q_SIGNALS:
    void loaded(); // the count or a page arrived, or a read failed (see error())

private:
    struct Page {
        std::vector<std::vector<SqlValue>> rows;
        std::vector<qint64> rowids;
        quint64 generation = 0;
    };
    void reload(bool recount);
    void requestPage(int page) const;
    void took(int page, quint64 generation, std::expected<D1TablePage, StoreError> result);
    void poll();
    const std::vector<SqlValue>* rowValues(int row) const;
    std::optional<qint64> rowid(int row) const;

    QString m_path;
    QString m_table;
    int m_pageSize;
    std::shared_ptr<D1Reader> m_reader;
    std::shared_ptr<D1Database> m_writer;
    QStringList m_columns;
    QStringList m_types;
    QString m_rowidName;
    bool m_isView = false;
    QString m_readOnly;
    std::vector<D1ColumnFilter> m_filters;
    std::optional<int> m_sortColumn;
    bool m_descending = false;
    qint64 m_count = 0;
    bool m_countKnown = false;
    QString m_error;
    quint64 m_generation = 1;
    mutable std::map<int, Page> m_pages;
    mutable std::map<int, quint64> m_requested; // page -> the generation it was asked in
    mutable int m_lastAsked = 0;
    std::map<std::pair<qint64, int>, SqlValue> m_edits; // (rowid, column) -> new value
    std::set<qint64> m_deletes;
    int m_inserts = 0;
    std::optional<qint64> m_version;
    QTimer m_poll;
    StoreLoader m_loader; // last: destroyed first, so no job outlives the members above
};

} // namespace kiln
