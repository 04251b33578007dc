#include "sqlconsole.h"

#include "compactrows.h"
#include "d1resultmodel.h"
#include "editor/codeeditor.h"
#include "storeloader.h"
#include "stores/d1database.h"
#include "stores/d1reader.h"
#include "stores/sqlscript.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QProcess>
#include <QSettings>
#include <QShortcut>
#include <QSplitter>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QToolButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace kiln {

struct SqlConsole::Outcome {
    QString sql;
    qsizetype start = 0; // in the editor's text
    QStringList columns;
    std::vector<std::vector<SqlValue>> rows;
    bool truncated = false;
    bool wrote = false;
    qint64 rowsRead = 0, rowsWritten = 0, changes = 0;
    double ms = 0;
    QString error;
    qsizetype errorAt = -1;                  // in the editor's text
    std::vector<std::vector<SqlValue>> plan; // EXPLAIN QUERY PLAN rows: id, parent, -, detail
};

namespace {

// The SQL formatter: `sqlformat` where pip put it, else Debian's python3-sqlparse, which
// ships the module (run as `python3 -m sqlparse`) without that script. Empty: none.
QStringList formatterCommand() {
    if (const QString tool = QStandardPaths::findExecutable(QStringLiteral("sqlformat"));
        !tool.isEmpty())
        return {tool};
    if (QFileInfo::exists(QStringLiteral("/usr/lib/python3/dist-packages/sqlparse/__main__.py")) &&
        QFileInfo::exists(QStringLiteral("/usr/bin/python3")))
        return {QStringLiteral("/usr/bin/python3"), QStringLiteral("-m"),
                QStringLiteral("sqlparse")};
    return {};
}

QString historyKey(const QString& path) {
    return QStringLiteral("d1console/") +
           QString::fromLatin1(path.toUtf8().toBase64(QByteArray::Base64UrlEncoding |
                                                      QByteArray::OmitTrailingEquals));
}

} // namespace

SqlConsole::SqlConsole(const QString& path, QWidget* parent, bool readOnly)
    : QWidget(parent)
    , m_path(path)
    , m_readOnly(readOnly)
    , m_editor(new CodeEditor(QStringLiteral("console.sql"), this))
    , m_results(new QTabWidget(this))
    , m_summary(new QTreeWidget(this))
    , m_status(new QLabel(this))
    , m_history(new QToolButton(this))
    , m_reader(std::make_shared<D1Reader>(path))
    , m_writer(std::make_shared<D1Database>(path))
    , m_loader(std::make_unique<StoreLoader>()) {
    m_editor->setObjectName(QStringLiteral("sqlEditor"));
    m_summary->setHeaderLabels(
        {tr("#"), tr("Statement"), tr("Result"), tr("Time"), tr("Rows read"), tr("Rows written")});
    m_summary->setRootIsDecorated(false);
    m_summary->header()->setStretchLastSection(false);
    m_summary->header()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_results->addTab(m_summary, tr("Summary"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // A long message is cut, not obeyed: the window must never grow past the screen for it.
    m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_status->setObjectName(QStringLiteral("sqlStatus"));

    const auto button = [this](const QString& text, const QString& tip, auto slot) {
        auto* b = new QToolButton(this);
        b->setText(text);
        b->setToolTip(tip);
        connect(b, &QToolButton::clicked, this, slot);
        return b;
    };
    auto* bar = new QHBoxLayout;
    bar->addWidget(button(tr("Run"),
                          tr("Run the statement under the cursor, or the selection (Ctrl+Enter)"),
                          [this] { runCurrent(); }));
    bar->addWidget(
        button(tr("Run All"), tr("Run every statement (Ctrl+Shift+Enter)"), [this] { runAll(); }));
    bar->addWidget(button(tr("Explain"), tr("EXPLAIN QUERY PLAN of the statement under the cursor"),
                          [this] { explain(); }));
    auto* formatButton =
        button(tr("Format"), tr("Reformat the SQL (sqlformat)"), [this] { format(); });
    if (formatterCommand().isEmpty()) {
        formatButton->setEnabled(false);
        formatButton->setToolTip(tr("Formatting needs sqlformat (Debian: python3-sqlparse)"));
    }
    bar->addWidget(formatButton);
    m_history->setText(tr("History"));
    m_history->setPopupMode(QToolButton::InstantPopup);
    auto* historyMenu = new QMenu(m_history);
    connect(historyMenu, &QMenu::aboutToShow, this, [this, historyMenu] {
        historyMenu->clear();
        for (const QString& sql : history())
            historyMenu->addAction(sql.simplified().left(100), this,
                                   [this, sql] { m_editor->setText(sql); });
        if (historyMenu->isEmpty())
            historyMenu->addAction(tr("(nothing run yet)"))->setEnabled(false);
    });
    m_history->setMenu(historyMenu);
    bar->addWidget(m_history);
    bar->addStretch(1);
    bar->addWidget(m_status);

    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_editor);
    split->addWidget(m_results);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(split, 1);
    for (const auto& [keys, all] :
         {std::pair{QKeySequence(Qt::CTRL | Qt::Key_Return), false},
          std::pair{QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Return), true}}) {
        auto* shortcut = new QShortcut(keys, m_editor);
        shortcut->setContext(Qt::WidgetShortcut);
        connect(shortcut, &QShortcut::activated, this,
                [this, all = all] { all ? runAll() : runCurrent(); });
    }
}

SqlConsole::~SqlConsole() = default;

QString SqlConsole::statusText() const {
    return m_status->text();
}

QStringList SqlConsole::history() const {
    return QSettings().value(historyKey(m_path)).toStringList();
}

void SqlConsole::remember(const QString& sql) {
    QStringList list = history();
    list.removeAll(sql);
    list.prepend(sql);
    QSettings().setValue(historyKey(m_path), list.mid(0, 50));
}

// Where the editor's (line, byte index) is in its text, in characters.
static qsizetype characterAt(CodeEditor* editor, int line, int index) {
    return QString::fromUtf8(
               editor->text().toUtf8().left(editor->positionFromLineIndex(line, index)))
        .size();
}

void SqlConsole::runCurrent() {
    if (m_editor->hasSelectedText()) {
        int line = 0, index = 0, toLine = 0, toIndex = 0;
        m_editor->getSelection(&line, &index, &toLine, &toIndex);
        return run(m_editor->selectedText(), characterAt(m_editor, line, index));
    }
    if (const auto s = statementAtCursor())
        run(m_editor->text().mid(s->start, s->end - s->start), s->start);
}

std::optional<SqlScript::Statement> SqlConsole::statementAtCursor() const {
    const auto statements = SqlScript::split(m_editor->text());
    int line = 0, index = 0;
    m_editor->getCursorPosition(&line, &index);
    const int at = SqlScript::statementAt(statements, characterAt(m_editor, line, index));
    if (at < 0) return std::nullopt;
    return statements[size_t(at)];
}

void SqlConsole::runAll() {
    run(m_editor->text(), 0);
}

// Runs the statements of `text` (found at `offset` in the editor) in order on the loader
// thread, stopping at the first error; the outcomes come back together.
void SqlConsole::run(const QString& text, qsizetype offset) {
    const auto statements = SqlScript::split(text);
    if (statements.empty()) return;
    m_editor->clearErrors();
    m_status->setText(tr("Running…"));
    const quint64 generation = ++m_generation;
    std::vector<std::pair<QString, qsizetype>> work;
    for (const auto& s : statements) {
        work.push_back({s.sql, offset + s.start});
        remember(s.sql);
    }
    m_loader->run<std::vector<Outcome>>(
        [reader = m_reader, writer = m_writer, work, readOnly = m_readOnly] {
            std::vector<Outcome> out;
            for (const auto& [sql, start] : work) {
                Outcome o;
                o.sql = sql;
                o.start = start;
                QElapsedTimer clock;
                clock.start();
                auto checked = reader->check(sql);
                if (!checked) {
                    o.error = checked.error().message;
                } else if (!checked->error.isEmpty()) {
                    o.error = checked->error;
                    if (checked->errorAt >= 0) o.errorAt = start + checked->errorAt;
                } else if (checked->readsRows) {
                    auto r = reader->query(sql, kMaxRows);
                    if (!r)
                        o.error = r.error().message;
                    else {
                        o.columns = r->columns;
                        o.rows = std::move(r->rows);
                        o.truncated = r->truncated;
                        o.rowsRead = r->rowsRead;
                    }
                } else if (readOnly) {
                    o.error = QObject::tr("this database is shown read-only: only statements "
                                          "that read rows run here");
                } else if (auto opened = writer->open(); !opened) {
                    o.error = opened.error();
                } else if (auto r = writer->run({D1Statement{sql, {}}}); !r) {
                    o.error = r.error();
                } else if (!r->empty()) {
                    D1Result& result = r->front();
                    o.columns = result.columns;
                    o.rows = std::move(result.rows);
                    o.wrote = result.meta.changedDb;
                    o.rowsRead = result.meta.rowsRead;
                    o.rowsWritten = result.meta.rowsWritten;
                    o.changes = result.meta.changes;
                }
                o.ms = double(clock.nsecsElapsed()) / 1e6;
                out.push_back(std::move(o));
                if (!out.back().error.isEmpty()) break;
            }
            return out;
        },
        [this, generation](std::vector<Outcome> outcomes) {
            if (generation != m_generation) return;
            show(outcomes);
        });
}

void SqlConsole::show(const std::vector<Outcome>& outcomes) {
    while (m_results->count() > 1)
        delete m_results->widget(1);
    m_summary->clear();
    bool changed = false;
    int index = 0;
    for (const Outcome& o : outcomes) {
        ++index;
        changed = changed || o.wrote;
        QString result;
        if (!o.error.isEmpty())
            result = tr("Error: %1").arg(o.error);
        else if (!o.columns.isEmpty())
            result = o.truncated ? tr("first %n row(s)", nullptr, int(o.rows.size()))
                                 : tr("%n row(s)", nullptr, int(o.rows.size()));
        else
            result = tr("%n row(s) changed", nullptr, int(o.changes));
        auto* item = new QTreeWidgetItem(m_summary, {QString::number(index), o.sql.simplified(),
                                                     result, tr("%1 ms").arg(o.ms, 0, 'f', 1),
                                                     QString::number(o.rowsRead),
                                                     QString::number(o.rowsWritten)});
        if (!o.error.isEmpty()) item->setForeground(2, QColor(0xd0, 0x30, 0x30));
        if (!o.columns.isEmpty()) {
            auto* view = new QTableView(m_results);
            view->setModel(new D1ResultModel(o.columns, o.rows, view));
            compactRows(view);
            view->resizeColumnsToContents(); // on the first rows only: cheap, and a good start
            for (int c = 0; c < o.columns.size(); ++c)
                view->setColumnWidth(c, std::min(view->columnWidth(c), 360));
            m_results->addTab(view, tr("%1: %2 rows").arg(index).arg(o.rows.size()));
        }
        if (!o.error.isEmpty()) {
            // The line (and column) in the editor's text, for the marker.
            const QString before = m_editor->text().left(o.errorAt >= 0 ? o.errorAt : o.start);
            const int line = int(before.count(QLatin1Char('\n'))) + 1;
            const int column = int(before.size() - before.lastIndexOf(QLatin1Char('\n')));
            m_editor->setError(line, o.errorAt >= 0 ? tr("%1 (column %2)").arg(o.error).arg(column)
                                                    : o.error);
            m_status->setText(
                tr("Error at line %1, column %2: %3").arg(line).arg(column).arg(o.error));
        }
    }
    if (outcomes.empty() || outcomes.back().error.isEmpty()) {
        double total = 0;
        for (const Outcome& o : outcomes)
            total += o.ms;
        m_status->setText(
            tr("%n statement(s) in %1 ms", nullptr, int(outcomes.size())).arg(total, 0, 'f', 1));
        m_results->setCurrentIndex(m_results->count() > 1 ? m_results->count() - 1 : 0);
    } else {
        m_results->setCurrentIndex(0);
    }
    if (changed) Q_EMIT wrote();
    Q_EMIT finished();
}

void SqlConsole::explain() {
    const auto statement = statementAtCursor();
    if (!statement) return;
    const QString sql = statement->sql;
    const quint64 generation = ++m_generation;
    m_loader->run<std::expected<D1QueryResult, StoreError>>(
        [reader = m_reader, sql] {
            return reader->query(QStringLiteral("EXPLAIN QUERY PLAN ") + sql, 1000);
        },
        [this, generation, sql](std::expected<D1QueryResult, StoreError> plan) {
            if (generation != m_generation) return;
            if (!plan) {
                m_status->setText(tr("Cannot explain: %1").arg(plan.error().message));
                return Q_EMIT finished();
            }
            // Rows are (id, parent, notused, detail); a parent id places a step under another.
            auto* tree = new QTreeWidget(m_results);
            tree->setHeaderLabels({tr("Query plan: %1").arg(sql.simplified().left(80))});
            std::map<qint64, QTreeWidgetItem*> byId;
            for (const auto& row : plan->rows) {
                const qint64 id = std::get<qint64>(row[0]);
                const qint64 parent = std::get<qint64>(row[1]);
                const QString detail = std::get<QString>(row[3]);
                auto found = byId.find(parent);
                auto* item = found != byId.end() ? new QTreeWidgetItem(found->second, {detail})
                                                 : new QTreeWidgetItem(tree, {detail});
                byId[id] = item;
            }
            tree->expandAll();
            m_results->setCurrentIndex(m_results->addTab(tree, tr("Plan")));
            m_status->setText(tr("Query plan of statement %1").arg(sql.simplified().left(40)));
            Q_EMIT finished();
        });
}

void SqlConsole::format() {
    QStringList command = formatterCommand();
    if (command.isEmpty()) return;
    auto* process = new QProcess(this);
    connect(process, &QProcess::finished, this, [this, process](int code) {
        process->deleteLater();
        if (code != 0) {
            m_status->setText(
                tr("sqlformat failed: %1")
                    .arg(QString::fromUtf8(process->readAllStandardError()).trimmed()));
            return;
        }
        const QString formatted = QString::fromUtf8(process->readAllStandardOutput());
        m_editor->beginUndoAction(); // one Ctrl+Z undoes the whole reformat
        m_editor->selectAll();
        m_editor->replaceSelectedText(formatted);
        m_editor->endUndoAction();
        m_status->setText(tr("Formatted"));
        Q_EMIT finished();
    });
    const QString program = command.takeFirst();
    process->start(program,
                   command + QStringList{QStringLiteral("--reindent"), QStringLiteral("--keywords"),
                                         QStringLiteral("upper"), QStringLiteral("-")});
    process->write(m_editor->text().toUtf8());
    process->closeWriteChannel();
}

} // namespace kiln
