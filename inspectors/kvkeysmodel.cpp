#include "kvkeysmodel.h"

#include "sizetext.h"

#include "stores/kvstore.h"

#include <QDateTime>
#include <QLocale>
#include <QStringDecoder>

namespace kiln {

namespace {

qint64 nowSeconds() {
    return QDateTime::currentSecsSinceEpoch();
}

// A page with the data_version read just before it, so a change made between the read and
// the next poll is still seen as a change.
KvKeysModel::Listing list(KvReader& reader, const std::optional<QByteArray>& after,
                          const QByteArray& prefix, int limit, const QByteArray& contains) {
    auto version = reader.dataVersion();
    return {reader.keys(after, prefix, limit, nowSeconds(), contains),
            version ? std::optional<qint64>(*version) : std::nullopt};
}

} // namespace

KvKeysModel::KvKeysModel(QString path, QObject* parent, int pageSize)
    : KvKeysModel(std::make_shared<KvReader>(path), parent, pageSize) {}

KvKeysModel::KvKeysModel(std::shared_ptr<KvReader> reader, QObject* parent, int pageSize)
    : SortedRowsModel(parent)
    , m_path(reader->path())
    , m_pageSize(std::max(1, pageSize))
    , m_reader(std::move(reader)) {
    connect(&m_poll, &QTimer::timeout, this, &KvKeysModel::poll);
    m_poll.start(500);
    loadPage(true);
}

KvKeysModel::~KvKeysModel() = default;

QString KvKeysModel::displayKey(const QByteArray& key) {
    QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString text = utf8(key);
    bool plain = !utf8.hasError();
    for (const QChar c : text)
        plain = plain && !(c.category() == QChar::Other_Control);
    if (plain) return text;
    // Byte by byte: printable ASCII as is, the rest escaped; valid multi-byte UTF-8 kept.
    QString out;
    for (qsizetype i = 0; i < key.size();) {
        const uchar c = uchar(key[i]);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += QLatin1Char(char(c));
            ++i;
            continue;
        }
        const int length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
        if (length && i + length <= key.size()) {
            QStringDecoder one(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
            const QString piece = one(key.mid(i, length));
            if (!one.hasError()) {
                out += piece;
                i += length;
                continue;
            }
        }
        out += c == '\\' ? QStringLiteral("\\\\")
                         : QStringLiteral("\\x%1").arg(uint(c), 2, 16, QLatin1Char('0'));
        ++i;
    }
    return out;
}

void KvKeysModel::setFilter(const QByteArray& prefix, const QByteArray& contains) {
    if (prefix == m_prefix && contains == m_contains && !m_rows.empty()) return;
    m_prefix = prefix;
    m_contains = contains;
    m_more = false;
    clearRows();
    loadPage(true);
}

void KvKeysModel::setPollInterval(int ms) {
    if (ms <= 0)
        m_poll.stop();
    else
        m_poll.start(ms);
}

void KvKeysModel::loadPage(bool first) {
    if (first || m_rows.empty())
        read(std::nullopt, m_pageSize, Apply::Merge);
    else
        read(m_rows.back().name, m_pageSize, Apply::Append);
}

void KvKeysModel::refresh() {
    if (m_loading) {
        m_refreshPending = true; // after the read in flight, which it would race
        return;
    }
    read(std::nullopt, std::max(m_pageSize, int(m_rows.size())), Apply::Merge);
}

// One listing at a time: a page and a refresh in flight together could each undo the other.
void KvKeysModel::read(const std::optional<QByteArray>& after, int limit, Apply apply) {
    const quint64 generation = ++m_generation; // a newer listing supersedes this one
    m_loading = true;
    m_loader.run<Listing>([reader = m_reader, after, prefix = m_prefix, contains = m_contains,
                           limit] { return list(*reader, after, prefix, limit, contains); },
                          [this, generation, apply](Listing listing) {
                              if (generation != m_generation) return;
                              m_loading = false;
                              if (auto& page = listing.page) {
                                  if (apply == Apply::Merge)
                                      mergeRows(
                                          std::move(page->keys),
                                          [](const KvKeyRow& r) { return r.name; },
                                          [](const KvKeyRow& a, const KvKeyRow& b) {
                                              return a.valueBytes == b.valueBytes &&
                                                     a.expiration == b.expiration &&
                                                     a.metadata == b.metadata;
                                          });
                                  else
                                      appendRows(std::move(page->keys));
                                  m_more = page->more;
                              }
                              took(listing);
                          });
}

void KvKeysModel::took(const Listing& listing) {
    const auto& page = listing.page;
    if (listing.version) m_version = listing.version;
    m_missing = !page && page.error().code == StoreError::Code::Missing;
    m_error = page || m_missing ? QString() : page.error().message;
    Q_EMIT loaded();
    if (std::exchange(m_refreshPending, false)) refresh();
}

void KvKeysModel::poll() {
    if (m_loading) return;
    m_loader.run<std::expected<qint64, StoreError>>(
        [reader = m_reader] { return reader->dataVersion(); },
        [this](std::expected<qint64, StoreError> version) {
            if (!version) {
                if (!m_missing && version.error().code == StoreError::Code::Missing) refresh();
                return;
            }
            const bool changed = !m_version || *m_version != *version;
            if (changed) refresh(); // the listing records the version it saw
        });
}

std::shared_ptr<KvStore> KvKeysModel::writer() {
    if (!m_writer) m_writer = std::make_shared<KvStore>(m_path);
    return m_writer;
}

void KvKeysModel::loadValue(
    const QByteArray& key,
    std::function<void(std::expected<std::optional<KvEntry>, StoreError>)> done) {
    m_loader.run<std::expected<std::optional<KvEntry>, StoreError>>(
        [reader = m_reader, key] { return reader->value(key, nowSeconds()); },
        [done = std::move(done)](std::expected<std::optional<KvEntry>, StoreError> value) {
            done(std::move(value));
        });
}

void KvKeysModel::put(const QByteArray& key, const QByteArray& value,
                      std::optional<qint64> expiration, const QByteArray& metadata,
                      std::function<void(QString)> done) {
    if (readOnly()) return done(tr("wrangler's state is read-only here: import it to edit"));
    m_loader.run<QString>(
        [store = writer(), key, value, expiration, metadata] {
            if (auto opened = store->open(); !opened) return opened.error();
            auto r = store->put(key, value, expiration, metadata, nowSeconds());
            return r ? QString() : r.error().message;
        },
        [this, done = std::move(done)](QString error) {
            if (error.isEmpty()) refresh();
            done(error);
        });
}

void KvKeysModel::remove(const QList<QByteArray>& keys, std::function<void(QString)> done) {
    if (readOnly()) return done(tr("wrangler's state is read-only here: import it to edit"));
    m_loader.run<QString>(
        [store = writer(), keys] {
            if (auto opened = store->open(); !opened) return opened.error();
            for (const QByteArray& key : keys)
                if (auto r = store->remove(key); !r) return r.error().message;
            return QString();
        },
        [this, done = std::move(done)](QString error) {
            refresh(); // some may have gone before a failure
            done(error);
        });
}

int KvKeysModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant KvKeysModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const KvKeyRow& row = m_rows[size_t(index.row())];
    switch (role) {
    case KeyBytesRole:
        return row.name;
    case SizeRole:
        return row.valueBytes;
    case ExpirationRole:
        return row.expiration ? QVariant(*row.expiration) : QVariant();
    case Qt::TextAlignmentRole:
        return index.column() == SizeColumn ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                            : QVariant();
    case Qt::ToolTipRole:
        if (index.column() == KeyColumn)
            return tr("%1 (%2 bytes)").arg(displayKey(row.name)).arg(row.name.size());
        if (index.column() == ExpirationColumn && row.expiration)
            return QDateTime::fromSecsSinceEpoch(*row.expiration).toString(Qt::ISODate);
        return {};
    case Qt::DisplayRole:
        switch (index.column()) {
        case KeyColumn:
            return displayKey(row.name);
        case SizeColumn:
            return sizeText(row.valueBytes);
        case ExpirationColumn:
            return row.expiration ? QDateTime::fromSecsSinceEpoch(*row.expiration)
                                        .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"))
                                  : QString();
        case MetadataColumn:
            return QString::fromUtf8(row.metadata);
        }
    }
    return {};
}

QVariant KvKeysModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case KeyColumn:
        return tr("Key");
    case SizeColumn:
        return tr("Size");
    case ExpirationColumn:
        return tr("Expires");
    case MetadataColumn:
        return tr("Metadata");
    }
    return {};
}

bool KvKeysModel::canFetchMore(const QModelIndex& parent) const {
    return !parent.isValid() && m_more && !m_loading;
}

void KvKeysModel::fetchMore(const QModelIndex& parent) {
    if (canFetchMore(parent)) loadPage(false);
}

} // namespace kiln
