#pragma once

#include "stores/digest.h"
#include "stores/r2body.h"
#include "stores/sqlitedb.h"

#include <QByteArray>
#include <QFile>
#include <QMutex>
#include <QString>

#include <expected>
#include <memory>
#include <optional>
#include <vector>

namespace kiln {

// An R2 failure as workerd reports it: "<op>: <message> (<code>)" is built by the binding.
struct R2Error {
    int code = 0;
    QString message;
};

struct R2ObjectInfo {
    QByteArray key;
    QString version;
    qint64 size = 0;
    QString etag;            // hex MD5 of the bytes, or "<md5 of part md5s>-<parts>" for multipart
    qint64 uploadedMs = 0;   // ms since the epoch
    QByteArray httpMetadata; // JSON object text
    QByteArray customMetadata; // JSON object text
    QByteArray checksums;      // JSON object text: {"md5": "<hex>", ...}
    QString blob;              // SHA-256 of the bytes: the blob file's name
};

// Preconditions (onlyIf): all given ones must hold.
struct R2Conditions {
    QStringList etagMatches, etagDoesNotMatch; // "*" matches any
    std::optional<qint64> uploadedBeforeMs, uploadedAfterMs;
    bool holds(const R2ObjectInfo& object) const;
};

// An object being written: bytes go to a temporary file in the bucket while MD5 (the etag),
// SHA-256 (the content address) and, when asked for, SHA-1 are computed, so a body of any
// size is never held in memory.
class R2Upload {
public:
    ~R2Upload();
    // Writes and hashes the bytes. A large piece's MD5 runs on a thread of its own while
    // this one writes, starts the writeback and computes SHA-256 (MD5 alone runs slower
    // than the disk). With last, the file is also synced before returning.
    bool append(const char* data, qsizetype size, bool last = false);
    bool append(const QByteArray& chunk) { return append(chunk.constData(), chunk.size()); }
    qint64 size() const { return m_size; }
    // Why the bytes could not be stored, in the system's words, naming the file ("...: No
    // space left on device"); empty while nothing failed.
    const QString& error() const { return m_error; }
    static constexpr qsizetype kParallelHashBytes = 1 << 20;
    // Written bytes are handed to the disk (writeback started, not waited for) every this
    // many, so a long stream's final sync has little left to do.
    static constexpr qint64 kWritebackBytes = 8 << 20;

private:
    friend class R2Bucket;
    QString m_tempPath;
    QFile m_file;
    qint64 m_size = 0;
    qint64 m_writeback = 0; // bytes before this offset have been handed to the disk
    Digest m_md5{Digest::Kind::Md5};
    Digest m_sha256{Digest::Kind::Sha256};
    std::unique_ptr<Digest> m_sha1; // only when the put gives a sha1 to check
    bool m_done = false;
    bool m_synced = false; // the last append synced the file
    QString m_error;
    void setError(const QString& why);
};

struct R2PutOptions {
    QByteArray httpMetadata = "{}";
    QByteArray customMetadata = "{}";
    R2Conditions onlyIf;
    QByteArray md5, sha1, sha256; // expected digests (raw bytes), checked when given
};

struct R2ListOptions {
    QByteArray prefix, delimiter, cursor, startAfter;
    int limit = 1000;
};

struct R2ListResult {
    std::vector<R2ObjectInfo> objects;
    std::vector<QByteArray> delimitedPrefixes;
    bool truncated = false;
    QByteArray cursor;
};

struct R2Range {
    std::optional<qint64> offset, length, suffix;
};

// One R2 bucket: `<persist>/r2/<bucket>/index.sqlite` plus content-addressed blob files
// `blobs/<2 hex>/<sha256>`. A key never becomes a path. Thread-safe. A blob is written and
// fsynced before the index row that names it commits, so a kill leaves at worst an
// unreferenced blob, never a row without its bytes.
class R2Bucket {
public:
    static constexpr int kMaxKeyBytes = 1024;
    static constexpr qint64 kMinPartBytes = 5 * 1024 * 1024;

    explicit R2Bucket(QString dir);
    std::expected<void, QString> open();
    const QString& dir() const { return m_dir; }

    std::expected<std::unique_ptr<R2Upload>, R2Error> beginUpload(bool withSha1 = false);
    // Finishes a put: null when onlyIf did not hold (nothing is written).
    std::expected<std::optional<R2ObjectInfo>, R2Error> put(const QByteArray& key, R2Upload& upload,
                                                            const R2PutOptions& options);
    std::expected<std::optional<R2ObjectInfo>, R2Error> head(const QByteArray& key);
    // The object and, when onlyIf holds, its body for `range`.
    std::expected<std::optional<std::pair<R2ObjectInfo, std::optional<R2Body>>>, R2Error>
    get(const QByteArray& key, const R2Range& range, const R2Conditions& onlyIf);
    std::expected<void, R2Error> remove(const std::vector<QByteArray>& keys);
    std::expected<R2ListResult, R2Error> list(const R2ListOptions& options);

    // Multipart uploads.
    std::expected<QString, R2Error> createMultipart(const QByteArray& key,
                                                    const QByteArray& httpMetadata,
                                                    const QByteArray& customMetadata);
    std::expected<QString, R2Error> uploadPart(const QByteArray& key, const QString& uploadId,
                                               int partNumber,
                                               R2Upload& upload); // -> etag
    std::expected<R2ObjectInfo, R2Error>
    completeMultipart(const QByteArray& key, const QString& uploadId,
                      const std::vector<std::pair<int, QString>>& parts);
    std::expected<void, R2Error> abortMultipart(const QByteArray& key, const QString& uploadId);

    static std::optional<R2Error> checkKey(const QByteArray& key);

private:
    std::expected<QString, R2Error> storeBlob(R2Upload& upload); // -> sha256 hex
    QString blobPath(const QString& sha256) const;
    void dropBlobIfUnused(const QString& sha256);
    std::expected<QStringList, R2Error> forgetUpload(const QString& uploadId);
    std::expected<std::optional<R2ObjectInfo>, R2Error> lookup(const QByteArray& key);
    std::expected<void, R2Error> writeIndex(const R2ObjectInfo& object,
                                            const QString& replacedBlob);

    QString m_dir;
    QMutex m_mutex;
    SqliteDb m_db;
    std::unique_ptr<SqlStatement> m_lookup; // after m_db: finalized before it closes
    std::shared_ptr<R2BlobPins> m_pins = std::make_shared<R2BlobPins>();
    QString m_openError;
};

} // namespace kiln
