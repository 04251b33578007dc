#include "d1resultmodel.h"

#include "d1tablemodel.h"

#include <QColor>

namespace kiln {

namespace {

QByteArray csvField(const SqlValue& value) {
    if (std::holds_alternative<std::monostate>(value)) return {};
    if (const auto* b = std::get_if<QByteArray>(&value)) return "0x" + b->toHex();
    QByteArray text = D1TableModel::displayValue(value).toUtf8();
    if (const auto* s = std::get_if<QString>(&value)) text = s->toUtf8(); // whole, line breaks kept
    if (text.contains(',') || text.contains('"') || text.contains('\n') || text.contains('\r'))
        return '"' + QByteArray(text).replace("\"", "\"\"") + '"';
    return text;
}

} // namespace

D1ResultModel::D1ResultModel(QStringList columns, std::vector<std::vector<SqlValue>> rows,
                             QObject* parent)
    : QAbstractTableModel(parent)
    , m_columns(std::move(columns))
    , m_rows(std::move(rows)) {}

int D1ResultModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int D1ResultModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_columns.size());
}

QVariant D1ResultModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const auto& row = m_rows[size_t(index.row())];
    if (size_t(index.column()) >= row.size()) return {};
    const SqlValue& value = row[size_t(index.column())];
    switch (role) {
    case Qt::DisplayRole:
        return D1TableModel::displayValue(value);
    case ValueRole:
        if (const auto* n = std::get_if<qint64>(&value)) return *n;
        if (const auto* d = std::get_if<double>(&value)) return *d;
        if (const auto* s = std::get_if<QString>(&value)) return *s;
        if (const auto* b = std::get_if<QByteArray>(&value)) return *b;
        return {};
    case Qt::ForegroundRole:
        return std::holds_alternative<std::monostate>(value) ? QVariant(QColor(Qt::gray))
                                                             : QVariant();
    case Qt::TextAlignmentRole:
        return std::holds_alternative<qint64>(value) || std::holds_alternative<double>(value)
                   ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                   : QVariant();
    }
    return {};
}

QVariant D1ResultModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (role != Qt::DisplayRole) return {};
    if (orientation == Qt::Vertical) return section + 1;
    return m_columns.value(section);
}

QByteArray D1ResultModel::toCsv() const {
    QByteArray out;
    QList<QByteArray> header;
    for (const QString& column : m_columns)
        header << csvField(column);
    out += header.join(',') + "\r\n";
    for (const auto& row : m_rows) {
        QList<QByteArray> fields;
        for (const SqlValue& value : row)
            fields << csvField(value);
        out += fields.join(',') + "\r\n";
    }
    return out;
}

} // namespace kiln
