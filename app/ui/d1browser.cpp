#include "d1browser.h"

#include "d1schemadialog.h"
#include "d1tablemodel.h"
#include "d1tableview.h"
#include "sqlconsole.h"
#include "storeloader.h"
#include "stores/d1database.h"
#include "stores/d1reader.h"

#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSaveFile>
#include <QSplitter>
#include <QTabBar>
#include <QTabWidget>
#include <QToolButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace kiln {

namespace {

struct Schema {
    std::expected<std::vector<D1SchemaEntry>, StoreError> entries;
    std::map<QString, std::vector<D1ColumnInfo>> columns;
    std::map<QString, std::vector<D1ForeignKey>> keys;
};

enum ItemRole { SqlRole = Qt::UserRole + 1, TableRole };

} // namespace

D1Browser::D1Browser(const QString& path, const QString& title, QWidget* parent, bool readOnly)
    : QWidget(parent)
    , m_path(path)
    , m_readOnly(readOnly)
    , m_tree(new QTreeWidget(this))
    , m_sql(new QPlainTextEdit(this))
    , m_tabs(new QTabWidget(this))
    , m_console(new SqlConsole(path, this, readOnly))
    , m_status(new QLabel(this))
    , m_reader(std::make_shared<D1Reader>(path))
    , m_loader(std::make_unique<StoreLoader>()) {
    setObjectName(QStringLiteral("d1Browser"));
    setWindowTitle(title);
    m_tree->setObjectName(QStringLiteral("d1Schema"));
    m_tree->setHeaderLabels({tr("Name"), tr("Type")});
    m_tree->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_tree->header()->setStretchLastSection(true);
    m_sql->setReadOnly(true);
    m_sql->setFont(QFont(QStringLiteral("monospace")));
    m_sql->setPlaceholderText(tr("The CREATE statement of what is selected"));
    m_tabs->setTabsClosable(true);
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(m_console, tr("SQL"));
    connect(m_tabs, &QTabWidget::tabCloseRequested, this, [this](int index) {
        if (m_tabs->widget(index) != m_console) delete m_tabs->widget(index);
    });

    auto* refresh = new QToolButton(this);
    refresh->setText(tr("Refresh"));
    auto* exportButton = new QToolButton(this);
    exportButton->setText(tr("Export SQL…"));
    auto* schemaButton = new QToolButton(this);
    schemaButton->setText(tr("Schema…"));
    schemaButton->setToolTip(tr("Create, rename or drop tables, columns and indexes"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // A long message is cut, not obeyed: the window must never grow past the screen for it.
    m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    auto* left = new QWidget(this);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(refresh);
    buttons->addWidget(schemaButton);
    buttons->addWidget(exportButton);
    auto* leftSplit = new QSplitter(Qt::Vertical, left);
    leftSplit->addWidget(m_tree);
    leftSplit->addWidget(m_sql);
    leftSplit->setStretchFactor(0, 3);
    leftSplit->setStretchFactor(1, 1);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addLayout(buttons);
    leftLayout->addWidget(leftSplit, 1);
    leftLayout->addWidget(m_status);
    auto* split = new QSplitter(this);
    split->addWidget(left);
    split->addWidget(m_tabs);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 3);
    split->setSizes({240, 720});
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(split);

    connect(m_tree, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem* item) {
        m_sql->setPlainText(item ? item->data(0, SqlRole).toString() : QString());
    });
    connect(m_tree, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem* item) {
        if (const QString table = item->data(0, TableRole).toString(); !table.isEmpty())
            openTable(table);
    });
    connect(refresh, &QToolButton::clicked, this, &D1Browser::reloadSchema);
    if (m_readOnly) {
        schemaButton->hide();
        m_status->setText(tr("Wrangler's state, read-only (File > Import Wrangler State to edit it "
                             "in Kiln)"));
    }
    connect(schemaButton, &QToolButton::clicked, this, [this] {
        const QTreeWidgetItem* current = m_tree->currentItem();
        D1SchemaDialog dialog(m_columns, m_indexes,
                              current ? current->data(0, TableRole).toString() : QString(), this);
        if (dialog.exec() == QDialog::Accepted) runSchemaChange(dialog.sql());
    });
    connect(exportButton, &QToolButton::clicked, this, [this] {
        const QString file =
            QFileDialog::getSaveFileName(this, tr("Export the database as SQL"),
                                         windowTitle() + QStringLiteral(".sql"), tr("SQL (*.sql)"));
        if (!file.isEmpty()) exportSql(file);
    });
    connect(m_console, &SqlConsole::wrote, this, &D1Browser::reloadSchema);
    reloadSchema();
}

D1Browser::~D1Browser() = default;

QString D1Browser::schemaText() const {
    return m_sql->toPlainText();
}

void D1Browser::reloadSchema() {
    const quint64 generation = ++m_generation;
    m_loader->run<Schema>(
        [reader = m_reader] {
            Schema schema{reader->schema(), {}, {}};
            if (schema.entries)
                for (const D1SchemaEntry& e : *schema.entries) {
                    if (e.type != QLatin1String("table") && e.type != QLatin1String("view"))
                        continue;
                    if (auto columns = reader->columns(e.name)) schema.columns[e.name] = *columns;
                    if (auto keys = reader->foreignKeys(e.name)) schema.keys[e.name] = *keys;
                }
            return schema;
        },
        [this, generation](Schema schema) {
            if (generation != m_generation) return;
            const QString current =
                m_tree->currentItem() ? m_tree->currentItem()->text(0) : QString();
            m_tree->clear();
            m_columns.clear();
            m_indexes.clear();
            for (const auto& [table, columns] : schema.columns)
                for (const D1ColumnInfo& column : columns)
                    m_columns[table] << column.name;
            if (schema.entries)
                for (const D1SchemaEntry& e : *schema.entries)
                    if (e.type == QLatin1String("index") && !e.sql.isEmpty()) m_indexes << e.name;
            if (!schema.entries) {
                auto* item = new QTreeWidgetItem(
                    m_tree, {schema.entries.error().code == StoreError::Code::Missing
                                 ? tr("No data yet (no database file)")
                                 : schema.entries.error().message});
                item->setToolTip(0, schema.entries.error().message);
                return Q_EMIT schemaLoaded();
            }
            std::map<QString, QTreeWidgetItem*> groups;
            for (const auto& [type, title] : {std::pair{QStringLiteral("table"), tr("Tables")},
                                              std::pair{QStringLiteral("view"), tr("Views")},
                                              std::pair{QStringLiteral("index"), tr("Indexes")},
                                              std::pair{QStringLiteral("trigger"), tr("Triggers")}})
                groups[type] = new QTreeWidgetItem(m_tree, {title});
            for (const D1SchemaEntry& e : *schema.entries) {
                QTreeWidgetItem* group =
                    groups.count(e.type) ? groups[e.type] : groups[QStringLiteral("table")];
                const bool isIndexOrTrigger =
                    e.type == QLatin1String("index") || e.type == QLatin1String("trigger");
                auto* item = new QTreeWidgetItem(
                    group, {e.name, isIndexOrTrigger ? tr("on %1").arg(e.table) : QString()});
                item->setData(0, SqlRole,
                              e.sql.isEmpty()
                                  ? tr("-- made by SQLite for a constraint of %1").arg(e.table)
                                  : e.sql + QLatin1Char(';'));
                if (!isIndexOrTrigger) item->setData(0, TableRole, e.name);
                const auto& keys = schema.keys[e.name];
                for (const D1ColumnInfo& column : schema.columns[e.name]) {
                    QStringList notes;
                    if (column.primaryKey) notes << tr("PK");
                    if (column.notNull) notes << tr("NOT NULL");
                    if (column.defaultValue) notes << tr("DEFAULT %1").arg(*column.defaultValue);
                    for (const D1ForeignKey& key : keys)
                        if (key.from == column.name)
                            notes << QStringLiteral("→ %1(%2)").arg(key.table, key.to);
                    auto* child = new QTreeWidgetItem(
                        item, {column.name,
                               (column.type.isEmpty() ? tr("any") : column.type) +
                                   (notes.isEmpty()
                                        ? QString()
                                        : QStringLiteral("  ") + notes.join(QLatin1Char(' ')))});
                    child->setData(0, SqlRole, item->data(0, SqlRole));
                    child->setData(0, TableRole, e.name);
                }
                if (e.name == current) m_tree->setCurrentItem(item);
            }
            for (auto& [type, group] : groups) {
                group->setText(1, QString::number(group->childCount()));
                group->setExpanded(type == QLatin1String("table") || type == QLatin1String("view"));
            }
            Q_EMIT schemaLoaded();
        });
}

D1TableView* D1Browser::openTable(const QString& table) {
    for (int i = 0; i < m_tabs->count(); ++i)
        if (auto* view = qobject_cast<D1TableView*>(m_tabs->widget(i));
            view && m_tabs->tabText(i) == table) {
            m_tabs->setCurrentIndex(i);
            return view;
        }
    auto* view = new D1TableView(m_path, table, m_tabs);
    if (m_readOnly)
        view->model()->setReadOnly(
            tr("Wrangler's state is shown read-only: import it (File > Import "
               "Wrangler State) to edit it in Kiln."));
    m_tabs->setCurrentIndex(m_tabs->addTab(view, table));
    return view;
}

void D1Browser::exportSql(const QString& file) {
    m_loader->run<QString>(
        [path = m_path, file] {
            D1Database db(path); // dump() is D1Database's: the text `kiln d1 export` writes
            if (auto opened = db.open(); !opened) return opened.error();
            auto sql = db.dump();
            if (!sql) return sql.error();
            QSaveFile out(file);
            if (!out.open(QIODevice::WriteOnly) || out.write(sql->toUtf8()) < 0 || !out.commit())
                return QStringLiteral("%1: %2").arg(file, out.errorString());
            return QString();
        },
        [this](QString error) { Q_EMIT exported(error); });
}

D1MigrationsView* D1Browser::addMigrations(D1MigrationsView::Setup setup) {
    auto* view = m_migrations = new D1MigrationsView(std::move(setup), m_tabs);
    m_tabs->insertTab(1, view, tr("Migrations"));
    m_tabs->tabBar()->setTabButton(1, QTabBar::RightSide, nullptr); // kept, like the console
    connect(view, &D1MigrationsView::applied, this, &D1Browser::reloadSchema);
    return view;
}

QString D1Browser::statusText() const {
    return m_status->text();
}

void D1Browser::runSchemaChange(const QString& sql) {
    m_status->setText(tr("Running…"));
    m_loader->run<QString>(
        [path = m_path, sql] {
            D1Database db(path); // the worker's store code: the same SQLite, the same errors
            if (auto opened = db.open(); !opened) return opened.error();
            auto r = db.run({D1Statement{sql, {}}});
            return r ? QString() : r.error();
        },
        [this, sql](QString error) {
            m_status->setText(error.isEmpty() ? tr("Done: %1").arg(sql.simplified())
                                              : tr("Not changed: %1").arg(error));
            reloadSchema();
            Q_EMIT schemaChanged(error);
        });
}

} // namespace kiln
