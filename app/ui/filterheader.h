#pragma once

#include <QHeaderView>

class QLineEdit;

namespace kiln {

// A table's column header with a filter box under each column (as DB Browser for SQLite
// has): typing in one narrows the rows, the grammar being D1ColumnFilter's (`>5`, `NULL`,
// text to contain). The boxes follow the columns as they are resized, moved or scrolled.
class FilterHeader : public QHeaderView {
    Q_OBJECT
public:
    explicit FilterHeader(QWidget* parent = nullptr);
    // One box per model column, emptied; call after the model's columns are known.
    void makeBoxes(int count);
    QStringList filters() const;
    void setFilter(int column, const QString& text);

    QSize sizeHint() const override;

Q_SIGNALS:
    void filtersChanged(const QStringList& filters); // after typing pauses

protected:
    void updateGeometries() override;

private:
    void place();
    QList<QLineEdit*> m_boxes;
    class QTimer* m_debounce;
};

} // namespace kiln
