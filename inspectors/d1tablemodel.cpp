#include "d1tablemodel.h"

#include "sizetext.h"

#include <QColor>
#include <QFont>
#include <QLocale>
#include <QSaveFile>

#include "d1resultmodel.h"

namespace kiln {

namespace {

constexpr int kMaxCachedPages = 64;

struct Opening {
    std::expected<std::vector<D1ColumnInfo>, StoreError> columns;
    std::expected<std::vector<D1TableInfo>, StoreError> tables;
    std::expected<D1TablePage, StoreError> first;
    std::optional<qint64> version;
};

QString sqlLiteral(const SqlValue& value) {
    if (std::holds_alternative<std::monostate>(value)) return QStringLiteral("NULL");
    if (const auto* n = std::get_if<qint64>(&value)) return QString::number(*n);
    if (const auto* d = std::get_if<double>(&value)) return QString::number(*d, 'g', 17);
    if (const auto* s = std::get_if<QString>(&value))
        return QLatin1Char('\'') + QString(*s).replace(QLatin1Char('\''), QLatin1String("''")) +
               QLatin1Char('\'');
    return QStringLiteral("X'%1'").arg(QString::fromLatin1(std::get<QByteArray>(value).toHex()));
}

QVariant toVariant(const SqlValue& value) {
    if (const auto* n = std::get_if<qint64>(&value)) return *n;
    if (const auto* d = std::get_if<double>(&value)) return *d;
    if (const auto* s = std::get_if<QString>(&value)) return *s;
    if (const auto* b = std::get_if<QByteArray>(&value)) return *b;
    return {};
}

} // namespace

D1TableModel::D1TableModel(QString path, QString table, QObject* parent, int pageSize)
    : QAbstractTableModel(parent)
    , m_path(std::move(path))
    , m_table(std::move(table))
    , m_pageSize(std::max(1, pageSize))
    , m_reader(std::make_shared<D1Reader>(m_path)) {
    connect(&m_poll, &QTimer::timeout, this, &D1TableModel::poll);
    m_poll.start(500);
    const quint64 generation = m_generation;
    m_loader.run<Opening>(
        [reader = m_reader, table = m_table, limit = m_pageSize] {
            auto version = reader->dataVersion();
            D1TableQuery first{table, {}, std::nullopt, false, 0, limit};
            return Opening{reader->columns(table), reader->tables(), reader->select(first, true),
                           version ? std::optional<qint64>(*version) : std::nullopt};
        },
        [this, generation](Opening opened) {
            if (!opened.columns || !opened.first) {
                m_error =
                    !opened.columns ? opened.columns.error().message : opened.first.error().message;
                Q_EMIT loaded();
                return;
            }
            m_version = opened.version;
            beginResetModel();
            for (const D1ColumnInfo& column : *opened.columns) {
                m_columns << column.name;
                m_types << column.type;
            }
            if (opened.tables)
                for (const D1TableInfo& info : *opened.tables)
                    if (info.name.compare(m_table, Qt::CaseInsensitive) == 0)
                        m_isView = info.type == QLatin1String("view");
            m_rowidName = opened.first->rowidName;
            m_count = opened.first->count.value_or(0);
            m_countKnown = true;
            m_pages[0] =
                Page{std::move(opened.first->rows), std::move(opened.first->rowids), generation};
            endResetModel();
            Q_EMIT loaded();
        });
}

D1TableModel::~D1TableModel() = default;

QString D1TableModel::readOnlyWhy() const {
    if (!m_readOnly.isEmpty()) return m_readOnly;
    if (m_isView) return tr("%1 is a view: change the tables it reads instead.").arg(m_table);
    if (m_rowidName.isEmpty() && !m_columns.isEmpty())
        return tr("%1 has no rowid (WITHOUT ROWID), so its rows cannot be edited here; use the "
                  "SQL console.")
            .arg(m_table);
    return {};
}

void D1TableModel::setPollInterval(int ms) {
    if (ms <= 0)
        m_poll.stop();
    else
        m_poll.start(ms);
}

void D1TableModel::setFilters(std::vector<D1ColumnFilter> filters) {
    m_filters = std::move(filters);
    beginResetModel();
    m_pages.clear();
    m_requested.clear();
    m_count = 0;
    m_countKnown = false;
    ++m_generation;
    endResetModel();
    reload(true);
}

void D1TableModel::sort(int column, Qt::SortOrder order) {
    if (column < 0 || column >= m_columns.size()) return;
    m_sortColumn = column;
    m_descending = order == Qt::DescendingOrder;
    beginResetModel();
    m_pages.clear();
    m_requested.clear();
    ++m_generation;
    endResetModel();
    reload(true);
}

void D1TableModel::refresh() {
    reload(true);
}

// A new generation: cached pages stay on screen, marked stale, and are read again as the
// view asks for them; the count is read with the first page.
void D1TableModel::reload(bool recount) {
    const quint64 generation = ++m_generation;
    D1TableQuery query{m_table,
                       m_filters,
                       m_sortColumn ? std::optional<QString>(m_columns.value(*m_sortColumn))
                                    : std::nullopt,
                       m_descending,
                       0,
                       m_pageSize};
    m_requested[0] = generation;
    m_loader.run<std::pair<std::expected<D1TablePage, StoreError>, std::optional<qint64>>>(
        [reader = m_reader, query, recount] {
            auto version = reader->dataVersion();
            return std::pair{reader->select(query, recount),
                             version ? std::optional<qint64>(*version) : std::nullopt};
        },
        [this, generation](auto result) {
            if (result.second) m_version = result.second;
            if (generation == m_generation && result.first && result.first->count) {
                const qint64 count = *result.first->count;
                if (count > m_count) {
                    beginInsertRows({}, int(m_count), int(count) - 1);
                    m_count = count;
                    endInsertRows();
                } else if (count < m_count) {
                    beginRemoveRows({}, int(count), int(m_count) - 1);
                    m_count = count;
                    endRemoveRows();
                }
                m_countKnown = true;
            }
            took(0, generation, std::move(result.first));
            if (generation == m_generation && rowCount() > 0 && columnCount() > 0)
                Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
        });
}

void D1TableModel::requestPage(int page) const {
    if (auto it = m_requested.find(page); it != m_requested.end() && it->second == m_generation)
        return;
    m_requested[page] = m_generation;
    auto* self = const_cast<D1TableModel*>(this);
    const quint64 generation = m_generation;
    D1TableQuery query{m_table,
                       m_filters,
                       m_sortColumn ? std::optional<QString>(m_columns.value(*m_sortColumn))
                                    : std::nullopt,
                       m_descending,
                       qint64(page) * m_pageSize,
                       m_pageSize};
    self->m_loader.run<std::expected<D1TablePage, StoreError>>(
        [reader = m_reader, query] { return reader->select(query, false); },
        [self, page, generation](std::expected<D1TablePage, StoreError> result) {
            self->took(page, generation, std::move(result));
        });
}

void D1TableModel::took(int page, quint64 generation,
                        std::expected<D1TablePage, StoreError> result) {
    if (auto it = m_requested.find(page); it != m_requested.end() && it->second == generation)
        m_requested.erase(it);
    if (generation != m_generation) return;
    if (!result) {
        m_error = result.error().message;
        Q_EMIT loaded();
        return;
    }
    m_error.clear();
    m_pages[page] = Page{std::move(result->rows), std::move(result->rowids), generation};
    // Bounded: the pages farthest from where the view last looked go first.
    while (int(m_pages.size()) > kMaxCachedPages) {
        const int asked = m_lastAsked / m_pageSize;
        auto far = std::max_element(m_pages.begin(), m_pages.end(), [&](auto& a, auto& b) {
            return std::abs(a.first - asked) < std::abs(b.first - asked);
        });
        m_pages.erase(far);
    }
    const int first = page * m_pageSize;
    const int last = std::min<int>(first + m_pageSize, int(m_count)) - 1;
    if (last >= first && columnCount() > 0)
        Q_EMIT dataChanged(index(first, 0), index(last, columnCount() - 1));
    Q_EMIT loaded();
}

void D1TableModel::poll() {
    m_loader.run<std::expected<qint64, StoreError>>(
        [reader = m_reader] { return reader->dataVersion(); },
        [this](std::expected<qint64, StoreError> version) {
            if (version && m_version && *version != *m_version) reload(true);
        });
}

const std::vector<SqlValue>* D1TableModel::rowValues(int row) const {
    m_lastAsked = row;
    const int page = row / m_pageSize;
    const auto it = m_pages.find(page);
    if (it == m_pages.end() || it->second.generation != m_generation) requestPage(page);
    if (it == m_pages.end()) return nullptr;
    const size_t at = size_t(row % m_pageSize);
    return at < it->second.rows.size() ? &it->second.rows[at] : nullptr;
}

std::optional<qint64> D1TableModel::rowid(int row) const {
    const auto it = m_pages.find(row / m_pageSize);
    if (it == m_pages.end()) return std::nullopt;
    const size_t at = size_t(row % m_pageSize);
    return at < it->second.rowids.size() ? std::optional<qint64>(it->second.rowids[at])
                                         : std::nullopt;
}

QString D1TableModel::displayValue(const SqlValue& value) {
    if (std::holds_alternative<std::monostate>(value)) return QStringLiteral("NULL");
    if (const auto* n = std::get_if<qint64>(&value)) return QString::number(*n);
    if (const auto* d = std::get_if<double>(&value)) return QString::number(*d, 'g', 15);
    if (const auto* b = std::get_if<QByteArray>(&value))
        return tr("BLOB (%1)").arg(sizeText(b->size()));
    QString text = std::get<QString>(value).left(500);
    text.replace(QLatin1Char('\n'), QChar(0x21b5)); // one line per row: ↵ marks a break
    return text;
}

SqlValue D1TableModel::fromText(const QString& text, const QString& declaredType) {
    // SQLite's affinity rules, by the declared type's name (datatype3.html, 3.1).
    const QString type = declaredType.toUpper();
    bool ok = false;
    if (type.contains(QLatin1String("INT"))) {
        if (const qint64 n = text.trimmed().toLongLong(&ok); ok) return n;
    } else if (!type.contains(QLatin1String("CHAR")) && !type.contains(QLatin1String("CLOB")) &&
               !type.contains(QLatin1String("TEXT")) && !type.contains(QLatin1String("BLOB")) &&
               !type.isEmpty()) {
        if (const qint64 n = text.trimmed().toLongLong(&ok); ok) return n;
        if (const double d = text.trimmed().toDouble(&ok); ok) return d;
    }
    return text;
}

int D1TableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_count);
}

int D1TableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_columns.size());
}

QVariant D1TableModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const auto* values = rowValues(index.row());
    if (!values || index.column() >= int(values->size())) return {};
    const auto id = rowid(index.row());
    const auto edit = id ? m_edits.find({*id, index.column()}) : m_edits.end();
    const SqlValue& value =
        edit != m_edits.end() ? edit->second : (*values)[size_t(index.column())];
    const bool deleted = id && m_deletes.count(*id);
    switch (role) {
    case Qt::DisplayRole:
        return displayValue(value);
    case Qt::EditRole:
        return std::holds_alternative<QByteArray>(value) ? QVariant() : toVariant(value);
    case ValueRole:
        return toVariant(value);
    case IsNullRole:
        return std::holds_alternative<std::monostate>(value);
    case RowidRole:
        return id ? QVariant(*id) : QVariant();
    case Qt::TextAlignmentRole:
        return std::holds_alternative<qint64>(value) || std::holds_alternative<double>(value)
                   ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                   : QVariant();
    case Qt::ForegroundRole:
        return std::holds_alternative<std::monostate>(value) || deleted ? QVariant(QColor(Qt::gray))
                                                                        : QVariant();
    case Qt::BackgroundRole:
        return edit != m_edits.end() ? QVariant(QColor(255, 196, 0, 90)) : QVariant();
    case Qt::FontRole:
        if (deleted || std::holds_alternative<std::monostate>(value)) {
            QFont font;
            font.setStrikeOut(deleted);
            font.setItalic(!deleted);
            return font;
        }
        return {};
    case Qt::ToolTipRole:
        if (const auto* s = std::get_if<QString>(&value); s && s->size() > 80) return s->left(2000);
        return {};
    }
    return {};
}

QVariant D1TableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation == Qt::Vertical)
        return role == Qt::DisplayRole ? QVariant(section + 1) : QVariant();
    if (section < 0 || section >= m_columns.size()) return {};
    if (role == Qt::DisplayRole) return m_columns.at(section);
    if (role == Qt::ToolTipRole)
        return m_types.at(section).isEmpty() ? tr("no declared type") : m_types.at(section);
    return {};
}

Qt::ItemFlags D1TableModel::flags(const QModelIndex& index) const {
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.isValid() && readOnlyWhy().isEmpty()) f |= Qt::ItemIsEditable;
    return f;
}

bool D1TableModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (role != Qt::EditRole || !(flags(index) & Qt::ItemIsEditable)) return false;
    const auto id = rowid(index.row());
    if (!id) return false;
    const SqlValue typed = value.isNull() ? SqlValue()
                           : value.typeId() == QMetaType::QByteArray
                               ? SqlValue(value.toByteArray())
                               : fromText(value.toString(), m_types.value(index.column()));
    const auto* values = rowValues(index.row());
    if (values && (*values)[size_t(index.column())] == typed)
        m_edits.erase({*id, index.column()}); // back to what is stored: nothing to write
    else
        m_edits[{*id, index.column()}] = typed;
    Q_EMIT dataChanged(index, index);
    return true;
}

bool D1TableModel::setNull(const QModelIndex& index) {
    return setData(index, QVariant(), Qt::EditRole);
}

void D1TableModel::addRow() {
    if (!readOnlyWhy().isEmpty()) return;
    ++m_inserts;
}

void D1TableModel::deleteRows(const QList<int>& rows) {
    if (!readOnlyWhy().isEmpty()) return;
    for (const int row : rows)
        if (const auto id = rowid(row)) {
            m_deletes.insert(*id);
            Q_EMIT dataChanged(index(row, 0), index(row, columnCount() - 1));
        }
}

int D1TableModel::pendingCount() const {
    return int(m_edits.size() + m_deletes.size()) + m_inserts;
}

std::vector<D1Statement> D1TableModel::pendingStatements() const {
    std::vector<D1Statement> out;
    const QString table = sqlQuoteIdentifier(m_table);
    // One UPDATE per row, naming every changed column.
    for (auto it = m_edits.begin(); it != m_edits.end();) {
        const qint64 id = it->first.first;
        if (m_deletes.count(id)) {
            ++it;
            continue;
        }
        D1Statement update;
        QStringList sets;
        for (; it != m_edits.end() && it->first.first == id; ++it) {
            sets << sqlQuoteIdentifier(m_columns.value(it->first.second)) + QStringLiteral(" = ?");
            update.params.push_back(it->second);
        }
        update.sql = QStringLiteral("UPDATE %1 SET %2 WHERE %3 = ?")
                         .arg(table, sets.join(QLatin1String(", ")), m_rowidName);
        update.params.push_back(id);
        out.push_back(std::move(update));
    }
    for (const qint64 id : m_deletes)
        out.push_back(
            {QStringLiteral("DELETE FROM %1 WHERE %2 = ?").arg(table, m_rowidName), {id}});
    for (int i = 0; i < m_inserts; ++i)
        out.push_back({QStringLiteral("INSERT INTO %1 DEFAULT VALUES").arg(table), {}});
    return out;
}

QString D1TableModel::pendingSql() const {
    QStringList lines;
    for (const D1Statement& statement : pendingStatements()) {
        QString sql = statement.sql;
        qsizetype at = 0;
        for (const SqlValue& value : statement.params) {
            at = sql.indexOf(QLatin1Char('?'), at);
            if (at < 0) break;
            const QString literal = sqlLiteral(value);
            sql.replace(at, 1, literal);
            at += literal.size();
        }
        lines << sql + QLatin1Char(';');
    }
    return lines.join(QLatin1Char('\n'));
}

void D1TableModel::discardPending() {
    m_edits.clear();
    m_deletes.clear();
    m_inserts = 0;
    if (rowCount() > 0 && columnCount() > 0)
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
}

void D1TableModel::applyPending(std::function<void(QString)> done) {
    const auto statements = pendingStatements();
    if (statements.empty()) return done({});
    if (!m_writer) m_writer = std::make_shared<D1Database>(m_path);
    m_loader.run<QString>(
        [writer = m_writer, statements] {
            if (auto opened = writer->open(); !opened) return opened.error();
            auto r = writer->run(statements); // more than one: one transaction, all or nothing
            return r ? QString() : r.error();
        },
        [this, done = std::move(done)](QString error) {
            if (error.isEmpty()) {
                m_edits.clear();
                m_deletes.clear();
                m_inserts = 0;
                reload(true);
            }
            done(error);
        });
}

void D1TableModel::exportCsv(const QString& path, std::function<void(QString)> done) {
    D1TableQuery query{m_table,
                       m_filters,
                       m_sortColumn ? std::optional<QString>(m_columns.value(*m_sortColumn))
                                    : std::nullopt,
                       m_descending,
                       0,
                       10000};
    m_loader.run<QString>(
        [reader = m_reader, query, path]() mutable {
            QSaveFile file(path);
            if (!file.open(QIODevice::WriteOnly)) return file.errorString();
            for (bool header = true;; query.offset += query.limit) {
                auto page = reader->select(query, false);
                if (!page) return page.error().message;
                D1ResultModel chunk(page->columns, std::move(page->rows));
                QByteArray csv = chunk.toCsv();
                if (!header) csv = csv.mid(csv.indexOf("\r\n") + 2); // the header once
                header = false;
                if (file.write(csv) != csv.size()) return file.errorString();
                if (chunk.rowCount() < query.limit) break;
            }
            return file.commit() ? QString() : file.errorString();
        },
        [done = std::move(done)](QString error) { done(error); });
}

} // namespace kiln
