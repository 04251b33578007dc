#pragma once

#include "sortedrowsmodel.h"
#include "storeloader.h"
#include "stores/kvreader.h"

#include <QAbstractTableModel>
#include <QTimer>

#include <memory>

namespace kiln {

class KvStore;

// The keys of one KV namespace file, for the studio's KV browser: key, value size,
// expiration, metadata. Pages arrive lazily (fetchMore, `pageSize` keys at a time) from a
// read-only KvReader on a background thread, so a namespace of a million keys shows its
// first page at once. A prefix narrows the listing the way list({prefix}) does; a search
// keeps keys holding the text anywhere.
//
// Live: the store's data_version is polled (and refresh() may be called on a control
// event); a change re-reads the rows already shown and merges them in place (inserts,
// removals, changed cells), so the view keeps its selection and scroll position. Writes go
// through KvStore, the binding's own store code, on the same background thread.
class KvKeysModel : public SortedRowsModel<KvKeyRow> {
    Q_OBJECT
public:
    enum Column { KeyColumn, SizeColumn, ExpirationColumn, MetadataColumn, ColumnCount };
    enum Role { KeyBytesRole = Qt::UserRole + 1, SizeRole, ExpirationRole };

    struct Listing {
        std::expected<KvKeyPage, StoreError> page;
        std::optional<qint64> version;
    };

    explicit KvKeysModel(QString path, QObject* parent = nullptr, int pageSize = 200);
    // Over any reader (wrangler's state: KvReader::miniflare), read-only when it is wrangler's.
    KvKeysModel(std::shared_ptr<KvReader> reader, QObject* parent = nullptr, int pageSize = 200);
    bool readOnly() const { return m_reader->isMiniflare(); }
    ~KvKeysModel() override;

    const QString& path() const { return m_path; }
    void setFilter(const QByteArray& prefix, const QByteArray& contains = {});
    QByteArray prefix() const { return m_prefix; }
    // Re-reads what is shown and merges the differences in (selection and scroll survive).
    void refresh();
    // How often data_version is checked; 0 stops it. 500 ms unless set.
    void setPollInterval(int ms);
    // Empty when the last read worked; else why it did not (a missing store is not an
    // error: `missing()` is true and the view says the namespace has no data yet).
    QString error() const { return m_error; }
    bool missing() const { return m_missing; }
    bool loading() const { return m_loading; }
    const KvKeyRow& row(int r) const { return m_rows[size_t(r)]; }

    // The value of `key`, read in the background; `done` gets nothing if the key is gone.
    void loadValue(const QByteArray& key,
                   std::function<void(std::expected<std::optional<KvEntry>, StoreError>)> done);
    // Writes through KvStore (Cloudflare's limits and errors); the view refreshes after.
    // `done` gets an empty string on success, else the store's message.
    void put(const QByteArray& key, const QByteArray& value, std::optional<qint64> expiration,
             const QByteArray& metadata, std::function<void(QString)> done);
    void remove(const QList<QByteArray>& keys, std::function<void(QString)> done);

    // Keys as a person reads them: UTF-8 text as it is, anything else (NUL, control bytes,
    // invalid UTF-8) with those bytes as \xNN.
    static QString displayKey(const QByteArray& key);

    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    bool canFetchMore(const QModelIndex& parent) const override;
    void fetchMore(const QModelIndex& parent) override;

Q_SIGNALS:
    // A read finished (first page, a further page, a refresh), or failed: see error().
    void loaded();

private:
    enum class Apply { Append, Merge };
    void loadPage(bool first);
    void read(const std::optional<QByteArray>& after, int limit, Apply apply);
    void took(const Listing& listing);
    void poll();
    std::shared_ptr<KvStore> writer();

    QString m_path;
    int m_pageSize;
    std::shared_ptr<KvReader> m_reader;
    std::shared_ptr<KvStore> m_writer; // opened on the first edit
    QByteArray m_prefix, m_contains;
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
