#pragma once

#include <QDialog>
#include <QMap>

class QCheckBox;
class QComboBox;
class QLineEdit;
class QPlainTextEdit;
class QStackedWidget;

namespace kiln {

// Schema changes for a D1 database, one at a time: create, rename or drop a table; add,
// rename or drop a column; create or drop an index. The statement it will run is shown as
// it is composed (D1SchemaSql), and nothing runs until the person presses Run.
class D1SchemaDialog : public QDialog {
    Q_OBJECT
public:
    enum Operation {
        CreateTable,
        RenameTable,
        DropTable,
        AddColumn,
        RenameColumn,
        DropColumn,
        CreateIndex,
        DropIndex
    };

    // `columns`: each table's columns; `indexes`: the indexes a person made.
    D1SchemaDialog(const QMap<QString, QStringList>& columns, const QStringList& indexes,
                   const QString& table = {}, QWidget* parent = nullptr);

    void setOperation(Operation operation);
    QString sql() const;
    // For tests and scripts: the form's fields by name ("table", "name", "columns", ...).
    void setField(const QString& name, const QString& value);

private:
    void update();
    QComboBox* m_operation;
    QStackedWidget* m_forms;
    QPlainTextEdit* m_preview;
    QMap<QString, QStringList> m_columns;
    QMap<QString, QWidget*> m_fields; // "<operation>/<field>" -> QLineEdit, QComboBox, ...
};

} // namespace kiln
