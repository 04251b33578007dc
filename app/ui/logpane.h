#pragma once

#include <QWidget>

class QListView;
class QLineEdit;
class QComboBox;

namespace kiln {

class LogModel;
class LogFilterModel;

// The log console: the runtime's lines in a list view over LogModel, filtered by level and
// text. A line with a traceback opens its innermost project frame on double-click.
class LogPane : public QWidget {
    Q_OBJECT
public:
    explicit LogPane(LogModel* model, QWidget* parent = nullptr);
    QListView* view() const { return m_view; }
    LogFilterModel* filter() const { return m_filter; }

Q_SIGNALS:
    void openLocation(const QString& file, int line);

private:
    void activate(const QModelIndex& index);
    LogModel* m_model;
    LogFilterModel* m_filter;
    QListView* m_view;
    QLineEdit* m_search;
    QComboBox* m_level;
};

} // namespace kiln
