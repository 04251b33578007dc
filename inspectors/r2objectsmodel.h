#pragma once

#include "sortedrowsmodel.h"
#include "storeloader.h"
#include "stores/r2reader.h"

#include <QAbstractTableModel>
#include <QTimer>

#include <memory>

namespace kiln {

// One row of the R2 browser: a folder (a key prefix ending in "/") or an object.
struct R2Entry {
    QByteArray key; // a folder's ends with "/"
    bool folder = false;
    R2ObjectInfo info; // objects only
};

// The objects of one R2 bucket folder for the studio's R2 browser: in the folder view, the
// keys under `prefix` grouped at "/" into folders (as R2's list with a delimiter does); in
// the flat view, every key under the prefix. Name, size, content type, uploaded time, etag
// and custom metadata; pages arrive lazily (fetchMore) from a read-only R2Reader on a
// background thread. Live as KvKeysModel is: data_version polled, rows merged in place.
class R2ObjectsModel : public SortedRowsModel<R2Entry> {
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        SizeColumn,
        TypeColumn,
        UploadedColumn,
        EtagColumn,
        MetadataColumn,
        ColumnCount
    };
    enum Role { KeyRole = Qt::UserRole + 1, IsFolderRole, SizeRole };

    struct Listing {
        std::expected<R2Listing, StoreError> page;
        std::optional<qint64> version;
    };

    explicit R2ObjectsModel(QString bucketDir, QObject* parent = nullptr, int pageSize = 200);
    // Over any reader (wrangler's state: R2Reader::miniflare).
    R2ObjectsModel(std::shared_ptr<R2Reader> reader, QObject* parent = nullptr, int pageSize = 200);
    bool readOnly() const { return m_reader->isMiniflare(); }
    ~R2ObjectsModel() override;

    const QString& dir() const { return m_dir; }
    void setPrefix(const QByteArray& prefix);
    QByteArray prefix() const { return m_prefix; }
    void setFlat(bool flat);
    bool flat() const { return m_flat; }
    void refresh();
    void setPollInterval(int ms);
    QString error() const { return m_error; }
    bool missing() const { return m_missing; }
    using Entry = R2Entry;
    const Entry& entry(int row) const { return m_rows[size_t(row)]; }
    std::shared_ptr<R2Reader> reader() const { return m_reader; }

    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    bool canFetchMore(const QModelIndex& parent) const override;
    void fetchMore(const QModelIndex& parent) override;

    // An object's content type, from its httpMetadata (empty when none was given).
    static QString contentType(const R2ObjectInfo& info);

Q_SIGNALS:
    void loaded();

private:
    enum class Apply { Append, Merge };
    void read(const QByteArray& from, int limit, Apply apply);
    void poll();

    QString m_dir;
    int m_pageSize;
    std::shared_ptr<R2Reader> m_reader;
    QByteArray m_prefix;
    bool m_flat = false;
    QByteArray m_next;
    bool m_more = false;
    bool m_loading = false;
    bool m_refreshPending = false;
    bool m_missing = false;
    QString m_error;
    quint64 m_generation = 0;
    std::optional<qint64> m_version;
    QTimer m_poll;
    StoreLoader m_loader; // last: destroyed first, so no job outlives the members above
};

} // namespace kiln
