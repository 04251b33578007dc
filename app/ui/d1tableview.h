#pragma once

#include <QWidget>

class QLabel;
class QPushButton;
class QTableView;

namespace kiln {

class D1TableModel;
class FilterHeader;

// One D1 table or view in a tab: the lazily paged grid with a filter box under each column
// and sorting by a header click; cells edited in place (pending, highlighted), rows added,
// marked for deletion or set to NULL, then "Review & Apply" shows the SQL and runs it in one
// transaction (SQLite's error, if any, in the status line, nothing written). BLOB cells open
// in a viewer (size, hex, image). Export writes the filtered rows as CSV.
class D1TableView : public QWidget {
    Q_OBJECT
public:
    D1TableView(const QString& path, const QString& table, QWidget* parent = nullptr);

    D1TableModel* model() const { return m_model; }
    QTableView* view() const { return m_view; }
    FilterHeader* header() const { return m_header; }
    // Applies the pending changes; with `ask`, after showing their SQL for confirmation.
    void apply(bool ask = true);
    void exportCsv(const QString& path);
    QString statusText() const;

Q_SIGNALS:
    void applied(const QString& error);
    void exported(const QString& error);

private:
    void updateStatus();
    void showBlob(const QModelIndex& index);

    D1TableModel* m_model;
    QTableView* m_view;
    FilterHeader* m_header;
    QPushButton* m_apply;
    QPushButton* m_discard;
    QLabel* m_status;
    QString m_message; // the last outcome (applied, exported, an error), shown with the count
};

} // namespace kiln
