#include "d1schemadialog.h"

#include "d1schemasql.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace kiln {

namespace {

QString text(QWidget* w) {
    if (auto* line = qobject_cast<QLineEdit*>(w)) return line->text();
    if (auto* combo = qobject_cast<QComboBox*>(w)) return combo->currentText();
    if (auto* edit = qobject_cast<QPlainTextEdit*>(w)) return edit->toPlainText();
    if (auto* check = qobject_cast<QCheckBox*>(w))
        return check->isChecked() ? QStringLiteral("1") : QString();
    return {};
}

} // namespace

D1SchemaDialog::D1SchemaDialog(const QMap<QString, QStringList>& columns,
                               const QStringList& indexes, const QString& table, QWidget* parent)
    : QDialog(parent)
    , m_operation(new QComboBox(this))
    , m_forms(new QStackedWidget(this))
    , m_preview(new QPlainTextEdit(this))
    , m_columns(columns) {
    setWindowTitle(tr("Change the schema"));
    m_operation->addItems({tr("Create table"), tr("Rename table"), tr("Drop table"),
                           tr("Add column"), tr("Rename column"), tr("Drop column"),
                           tr("Create index"), tr("Drop index")});
    m_preview->setReadOnly(true);
    m_preview->setFont(QFont(QStringLiteral("monospace")));
    m_preview->setMaximumHeight(140);
    const QStringList tables = columns.keys();
    // One form per operation; each field is named "<op>/<field>" so update() can find it.
    const auto form = [this](int op, std::initializer_list<std::pair<QString, QWidget*>> fields) {
        auto* page = new QWidget(m_forms);
        auto* layout = new QFormLayout(page);
        for (const auto& [name, widget] : fields) {
            widget->setParent(page);
            layout->addRow(name.section(QLatin1Char('|'), 1), widget);
            m_fields.insert(QString::number(op) + QLatin1Char('/') +
                                name.section(QLatin1Char('|'), 0, 0),
                            widget);
            if (auto* line = qobject_cast<QLineEdit*>(widget))
                connect(line, &QLineEdit::textChanged, this, &D1SchemaDialog::update);
            if (auto* combo = qobject_cast<QComboBox*>(widget))
                connect(combo, &QComboBox::currentTextChanged, this, &D1SchemaDialog::update);
            if (auto* edit = qobject_cast<QPlainTextEdit*>(widget))
                connect(edit, &QPlainTextEdit::textChanged, this, &D1SchemaDialog::update);
            if (auto* check = qobject_cast<QCheckBox*>(widget))
                connect(check, &QCheckBox::toggled, this, &D1SchemaDialog::update);
        }
        m_forms->addWidget(page);
    };
    const auto tableBox = [&] {
        auto* box = new QComboBox;
        box->addItems(tables);
        if (!table.isEmpty()) box->setCurrentText(table);
        return box;
    };
    auto* definitions = new QPlainTextEdit;
    definitions->setPlaceholderText(
        tr("one column a line, e.g.\nid INTEGER PRIMARY KEY\nname TEXT NOT NULL"));
    form(CreateTable, {{QStringLiteral("name|") + tr("Table"), new QLineEdit},
                       {QStringLiteral("columns|") + tr("Columns"), definitions}});
    form(RenameTable, {{QStringLiteral("table|") + tr("Table"), tableBox()},
                       {QStringLiteral("name|") + tr("New name"), new QLineEdit}});
    form(DropTable, {{QStringLiteral("table|") + tr("Table"), tableBox()}});
    auto* added = new QLineEdit;
    added->setPlaceholderText(tr("e.g. price REAL NOT NULL DEFAULT 0"));
    form(AddColumn, {{QStringLiteral("table|") + tr("Table"), tableBox()},
                     {QStringLiteral("definition|") + tr("Column"), added}});
    auto* renamedColumn = new QComboBox;
    form(RenameColumn, {{QStringLiteral("table|") + tr("Table"), tableBox()},
                        {QStringLiteral("column|") + tr("Column"), renamedColumn},
                        {QStringLiteral("name|") + tr("New name"), new QLineEdit}});
    auto* droppedColumn = new QComboBox;
    form(DropColumn, {{QStringLiteral("table|") + tr("Table"), tableBox()},
                      {QStringLiteral("column|") + tr("Column"), droppedColumn}});
    auto* indexColumns = new QLineEdit;
    indexColumns->setPlaceholderText(tr("columns, separated by commas"));
    form(CreateIndex, {{QStringLiteral("name|") + tr("Index"), new QLineEdit},
                       {QStringLiteral("table|") + tr("Table"), tableBox()},
                       {QStringLiteral("columns|") + tr("Columns"), indexColumns},
                       {QStringLiteral("unique|") + tr("Unique"), new QCheckBox}});
    auto* indexBox = new QComboBox;
    indexBox->addItems(indexes);
    form(DropIndex, {{QStringLiteral("index|") + tr("Index"), indexBox}});
    // A column list follows its table.
    for (const auto& [op, box] :
         {std::pair{int(RenameColumn), renamedColumn}, std::pair{int(DropColumn), droppedColumn}}) {
        auto* tableCombo = qobject_cast<QComboBox*>(
            m_fields.value(QString::number(op) + QStringLiteral("/table")));
        const auto fill = [this, tableCombo, box = box] {
            box->clear();
            box->addItems(m_columns.value(tableCombo->currentText()));
        };
        connect(tableCombo, &QComboBox::currentTextChanged, this, fill);
        fill();
    }
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    auto* run = buttons->addButton(tr("Run"), QDialogButtonBox::AcceptRole);
    run->setObjectName(QStringLiteral("schemaRun"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_operation, &QComboBox::currentIndexChanged, this, [this](int index) {
        m_forms->setCurrentIndex(index);
        update();
    });
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_operation);
    layout->addWidget(m_forms);
    layout->addWidget(new QLabel(tr("This statement runs when you press Run:"), this));
    layout->addWidget(m_preview);
    layout->addWidget(buttons);
    resize(560, 440);
    update();
}

void D1SchemaDialog::setOperation(Operation operation) {
    m_operation->setCurrentIndex(int(operation));
}

void D1SchemaDialog::setField(const QString& name, const QString& value) {
    QWidget* w =
        m_fields.value(QString::number(m_operation->currentIndex()) + QLatin1Char('/') + name);
    if (auto* line = qobject_cast<QLineEdit*>(w)) line->setText(value);
    if (auto* combo = qobject_cast<QComboBox*>(w)) combo->setCurrentText(value);
    if (auto* edit = qobject_cast<QPlainTextEdit*>(w)) edit->setPlainText(value);
    if (auto* check = qobject_cast<QCheckBox*>(w)) check->setChecked(!value.isEmpty());
}

QString D1SchemaDialog::sql() const {
    return m_preview->toPlainText();
}

void D1SchemaDialog::update() {
    const int op = m_operation->currentIndex();
    const auto field = [&](const char* name) {
        return text(m_fields.value(QString::number(op) + QLatin1Char('/') + QLatin1String(name)));
    };
    QString sql;
    switch (Operation(op)) {
    case CreateTable:
        sql = D1SchemaSql::createTable(field("name"), field("columns").split(QLatin1Char('\n')));
        break;
    case RenameTable:
        sql = D1SchemaSql::renameTable(field("table"), field("name"));
        break;
    case DropTable:
        sql = D1SchemaSql::dropTable(field("table"));
        break;
    case AddColumn:
        sql = D1SchemaSql::addColumn(field("table"), field("definition"));
        break;
    case RenameColumn:
        sql = D1SchemaSql::renameColumn(field("table"), field("column"), field("name"));
        break;
    case DropColumn:
        sql = D1SchemaSql::dropColumn(field("table"), field("column"));
        break;
    case CreateIndex:
        sql = D1SchemaSql::createIndex(field("name"), field("table"),
                                       field("columns").split(QLatin1Char(',')),
                                       !field("unique").isEmpty());
        break;
    case DropIndex:
        sql = D1SchemaSql::dropIndex(field("index"));
        break;
    }
    m_preview->setPlainText(sql + QLatin1Char(';'));
}

} // namespace kiln
