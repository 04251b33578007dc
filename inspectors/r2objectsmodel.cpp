#include "r2objectsmodel.h"

#include "sizetext.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>

namespace kiln {

namespace {

// Folders and objects in one key-ordered list, as the listing interleaves them.
std::vector<R2Entry> entries(R2Listing listing) {
    std::vector<R2Entry> out;
    out.reserve(listing.objects.size() + listing.prefixes.size());
    size_t o = 0, p = 0;
    while (o < listing.objects.size() || p < listing.prefixes.size()) {
        if (p < listing.prefixes.size() &&
            (o == listing.objects.size() || listing.prefixes[p] < listing.objects[o].key)) {
            out.push_back({listing.prefixes[p++], true, {}});
        } else {
            R2ObjectInfo& info = listing.objects[o++];
            QByteArray key = info.key;
            out.push_back({std::move(key), false, std::move(info)});
        }
    }
    return out;
}

} // namespace

R2ObjectsModel::R2ObjectsModel(QString bucketDir, QObject* parent, int pageSize)
    : R2ObjectsModel(std::make_shared<R2Reader>(bucketDir), parent, pageSize) {}

R2ObjectsModel::R2ObjectsModel(std::shared_ptr<R2Reader> reader, QObject* parent, int pageSize)
    : SortedRowsModel(parent)
    , m_dir(reader->dir())
    , m_pageSize(std::max(1, pageSize))
    , m_reader(std::move(reader)) {
    connect(&m_poll, &QTimer::timeout, this, &R2ObjectsModel::poll);
    m_poll.start(500);
    read({}, m_pageSize, Apply::Merge);
}

R2ObjectsModel::~R2ObjectsModel() = default;

QString R2ObjectsModel::contentType(const R2ObjectInfo& info) {
    return QJsonDocument::fromJson(info.httpMetadata)
        .object()
        .value(QLatin1String("contentType"))
        .toString();
}

void R2ObjectsModel::setPrefix(const QByteArray& prefix) {
    if (prefix == m_prefix) return;
    m_prefix = prefix;
    m_more = false;
    clearRows();
    read({}, m_pageSize, Apply::Merge);
}

void R2ObjectsModel::setFlat(bool flat) {
    if (flat == m_flat) return;
    m_flat = flat;
    m_more = false;
    clearRows();
    read({}, m_pageSize, Apply::Merge);
}

void R2ObjectsModel::setPollInterval(int ms) {
    if (ms <= 0)
        m_poll.stop();
    else
        m_poll.start(ms);
}

void R2ObjectsModel::refresh() {
    if (m_loading) {
        m_refreshPending = true;
        return;
    }
    read({}, std::max(m_pageSize, int(m_rows.size())), Apply::Merge);
}

void R2ObjectsModel::read(const QByteArray& from, int limit, Apply apply) {
    const quint64 generation = ++m_generation;
    m_loading = true;
    m_loader.run<Listing>(
        [reader = m_reader, prefix = m_prefix, delimiter = m_flat ? QByteArray() : QByteArray("/"),
         from, limit] {
            auto version = reader->dataVersion();
            return Listing{reader->list(prefix, delimiter, from, limit),
                           version ? std::optional<qint64>(*version) : std::nullopt};
        },
        [this, generation, apply](Listing listing) {
            if (generation != m_generation) return;
            m_loading = false;
            if (listing.version) m_version = listing.version;
            if (listing.page) {
                m_more = listing.page->truncated;
                m_next = listing.page->next;
                auto fresh = entries(std::move(*listing.page));
                if (apply == Apply::Merge)
                    mergeRows(
                        std::move(fresh), [](const Entry& e) { return e.key; },
                        [](const Entry& a, const Entry& b) {
                            return a.folder == b.folder && a.info.etag == b.info.etag &&
                                   a.info.uploadedMs == b.info.uploadedMs &&
                                   a.info.httpMetadata == b.info.httpMetadata &&
                                   a.info.customMetadata == b.info.customMetadata;
                        });
                else
                    appendRows(std::move(fresh));
            }
            m_missing = !listing.page && listing.page.error().code == StoreError::Code::Missing;
            m_error = listing.page || m_missing ? QString() : listing.page.error().message;
            Q_EMIT loaded();
            if (std::exchange(m_refreshPending, false)) refresh();
        });
}

void R2ObjectsModel::poll() {
    if (m_loading) return;
    m_loader.run<std::expected<qint64, StoreError>>(
        [reader = m_reader] { return reader->dataVersion(); },
        [this](std::expected<qint64, StoreError> version) {
            if (version && (!m_version || *m_version != *version)) refresh();
        });
}

int R2ObjectsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant R2ObjectsModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Entry& e = m_rows[size_t(index.row())];
    switch (role) {
    case KeyRole:
        return e.key;
    case IsFolderRole:
        return e.folder;
    case SizeRole:
        return e.folder ? QVariant() : QVariant(e.info.size);
    case Qt::TextAlignmentRole:
        return index.column() == SizeColumn ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                            : QVariant();
    case Qt::ToolTipRole:
        return index.column() == NameColumn ? QString::fromUtf8(e.key) : QVariant();
    case Qt::DisplayRole:
        switch (index.column()) {
        case NameColumn: // relative to the folder shown; the flat view shows whole keys
            return QString::fromUtf8(m_flat ? e.key : e.key.mid(m_prefix.size()));
        case SizeColumn:
            return e.folder ? QString() : sizeText(e.info.size);
        case TypeColumn:
            return e.folder ? tr("folder") : contentType(e.info);
        case UploadedColumn:
            return e.folder ? QString()
                            : QDateTime::fromMSecsSinceEpoch(e.info.uploadedMs)
                                  .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
        case EtagColumn:
            return e.info.etag;
        case MetadataColumn: {
            const QByteArray custom = e.info.customMetadata;
            return custom == "{}" ? QString() : QString::fromUtf8(custom);
        }
        }
    }
    return {};
}

QVariant R2ObjectsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case NameColumn:
        return tr("Name");
    case SizeColumn:
        return tr("Size");
    case TypeColumn:
        return tr("Type");
    case UploadedColumn:
        return tr("Uploaded");
    case EtagColumn:
        return tr("ETag");
    case MetadataColumn:
        return tr("Custom metadata");
    }
    return {};
}

bool R2ObjectsModel::canFetchMore(const QModelIndex& parent) const {
    return !parent.isValid() && m_more && !m_loading;
}

void R2ObjectsModel::fetchMore(const QModelIndex& parent) {
    if (canFetchMore(parent)) read(m_next, m_pageSize, Apply::Append);
}

} // namespace kiln
