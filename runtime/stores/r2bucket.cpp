#include "stores/r2bucket.h"

#include "stores/r2listing.h"

#include "stores/keyrange.h"
#include "stores/r2schema.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUuid>

#include <cerrno>
#include <cstring>
#include <future>

#include <fcntl.h>
#include <unistd.h>

namespace kiln {

namespace {

qint64 nowMs() {
    return QDateTime::currentMSecsSinceEpoch();
}

QString randomHex() {
    return QUuid::createUuid().toString(QUuid::Id128);
}

void syncDir(const QString& dir) {
    const int fd = ::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

constexpr auto kCursorEncoding = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

R2Error storeError(const QString& why) {
    return R2Error{10001, why};
}

} // namespace

bool R2Conditions::holds(const R2ObjectInfo& object) const {
    auto matches = [&](const QStringList& tags) {
        for (const QString& tag : tags) {
            QString bare = tag;
            bare.remove(QLatin1Char('"'));
            if (bare == QLatin1String("*") || bare == object.etag) return true;
        }
        return false;
    };
    if (!etagMatches.isEmpty() && !matches(etagMatches)) return false;
    if (!etagDoesNotMatch.isEmpty() && matches(etagDoesNotMatch)) return false;
    if (uploadedBeforeMs && object.uploadedMs >= *uploadedBeforeMs) return false;
    if (uploadedAfterMs && object.uploadedMs <= *uploadedAfterMs) return false;
    return true;
}

R2Upload::~R2Upload() {
    if (!m_done) {
        m_file.close();
        QFile::remove(m_tempPath);
    }
}

void R2Upload::setError(const QString& why) {
    if (m_error.isEmpty())
        m_error =
            QStringLiteral("could not write the object's bytes to %1: %2").arg(m_tempPath, why);
}

bool R2Upload::append(const char* data, qsizetype size, bool last) {
    // MD5 (the etag) is the slowest step and cannot be split, so on a large piece it runs on
    // a thread of its own. This thread writes the piece, asks the kernel to start writing
    // it back, hashes SHA-256 while the disk works, then waits for the sync: on two cores
    // the piece costs about one MD5 pass. (Three busy threads - MD5, SHA-256 and the
    // writer - made the writer wait for a core, and the sync started only after it.)
    std::future<void> md5;
    if (size >= kParallelHashBytes) {
        try {
            md5 = std::async(std::launch::async, [this, data, size] { m_md5.add(data, size); });
        } catch (const std::system_error&) {
            // no thread to be had: hash here
        }
    }
    // The system's reason (disk full, quota, ...) from errno: QFile reports a short write
    // without one.
    errno = 0;
    const bool ok = m_file.write(data, size) == size && m_file.flush();
    if (!ok) setError(errno ? QString::fromLocal8Bit(std::strerror(errno)) : m_file.errorString());
    m_size += size;
    if (ok && (last || m_size - m_writeback >= kWritebackBytes)) {
        ::sync_file_range(m_file.handle(), m_writeback, m_size - m_writeback,
                          SYNC_FILE_RANGE_WRITE);
        m_writeback = m_size;
    }
    m_sha256.add(data, size);
    if (m_sha1) m_sha1->add(data, size);
    if (!md5.valid()) m_md5.add(data, size);
    m_synced = ok && last && ::fdatasync(m_file.handle()) == 0;
    if (md5.valid()) md5.get();
    return ok;
}

R2Bucket::R2Bucket(QString dir)
    : m_dir(std::move(dir)) {}

std::expected<void, QString> R2Bucket::open() {
    QMutexLocker lock(&m_mutex);
    if (m_db.isOpen()) return {};
    QDir().mkpath(m_dir + QStringLiteral("/blobs"));
    // Uploads that a kill interrupted: their bytes were never referenced.
    QDir(m_dir + QStringLiteral("/tmp")).removeRecursively();
    QDir().mkpath(m_dir + QStringLiteral("/tmp"));
    if (auto r = m_db.open(r2sql::indexFile(m_dir)); !r) {
        m_openError = r.error().message;
        return std::unexpected(m_openError);
    }
    auto r = m_db.exec(
        "CREATE TABLE IF NOT EXISTS objects (key BLOB PRIMARY KEY, version TEXT NOT NULL, size "
        "INTEGER NOT NULL,"
        " etag TEXT NOT NULL, uploaded INTEGER NOT NULL, http_metadata TEXT NOT NULL, "
        "custom_metadata TEXT NOT NULL,"
        " checksums TEXT NOT NULL, blob TEXT NOT NULL) WITHOUT ROWID;"
        "CREATE INDEX IF NOT EXISTS objects_blob ON objects(blob);"
        "CREATE TABLE IF NOT EXISTS multipart_uploads (upload_id TEXT PRIMARY KEY, key BLOB NOT "
        "NULL,"
        " http_metadata TEXT NOT NULL, custom_metadata TEXT NOT NULL, created INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS multipart_parts (upload_id TEXT NOT NULL, part_number INTEGER "
        "NOT NULL,"
        " etag TEXT NOT NULL, md5 BLOB NOT NULL, size INTEGER NOT NULL, blob TEXT NOT NULL, "
        "PRIMARY KEY (upload_id, part_number));"
        "CREATE INDEX IF NOT EXISTS parts_blob ON multipart_parts(blob);");
    if (!r) {
        m_openError = QStringLiteral("%1: %2").arg(m_dir, r.error());
        return std::unexpected(m_openError);
    }
    return {};
}

// R2's only rule on a key through the Workers binding is its length (miniflare's validator,
// adapted from the R2 gateway, checks that and nothing else): an empty key is a valid key.
std::optional<R2Error> R2Bucket::checkKey(const QByteArray& key) {
    if (key.size() > kMaxKeyBytes)
        return R2Error{10020, QStringLiteral("The specified object name is not valid.")};
    return std::nullopt;
}

QString R2Bucket::blobPath(const QString& sha256) const {
    return r2sql::blobPath(m_dir, sha256);
}

std::expected<std::unique_ptr<R2Upload>, R2Error> R2Bucket::beginUpload(bool withSha1) {
    auto upload = std::make_unique<R2Upload>();
    if (withSha1) upload->m_sha1 = std::make_unique<Digest>(Digest::Kind::Sha1);
    upload->m_tempPath = m_dir + QStringLiteral("/tmp/") + randomHex();
    upload->m_file.setFileName(upload->m_tempPath);
    if (!upload->m_file.open(QIODevice::WriteOnly))
        return std::unexpected(storeError(
            QStringLiteral("%1: %2").arg(upload->m_tempPath, upload->m_file.errorString())));
    return upload;
}

std::expected<QString, R2Error> R2Bucket::storeBlob(R2Upload& upload) {
    if (!upload.m_file.flush())
        upload.setError(upload.m_file.errorString());
    else if (!upload.m_synced && ::fdatasync(upload.m_file.handle()) != 0)
        upload.setError(QString::fromLocal8Bit(std::strerror(errno)));
    if (!upload.m_error.isEmpty()) return std::unexpected(storeError(upload.m_error));
    upload.m_file.close();
    const QString sha = QString::fromLatin1(upload.m_sha256.result().toHex());
    const QString dest = blobPath(sha);
    QDir().mkpath(QFileInfo(dest).absolutePath());
    m_pins->keep(dest); // a blob dropped while a body still reads it is wanted again
    if (QFile::exists(dest)) {
        QFile::remove(upload.m_tempPath); // the same bytes are already stored
    } else if (::rename(QFile::encodeName(upload.m_tempPath).constData(),
                        QFile::encodeName(dest).constData()) != 0) {
        return std::unexpected(
            storeError(QStringLiteral("%1: could not store the object's bytes").arg(dest)));
    }
    syncDir(QFileInfo(dest).absolutePath());
    upload.m_done = true;
    return sha;
}

void R2Bucket::dropBlobIfUnused(const QString& sha256) {
    if (sha256.isEmpty()) return;
    SqlStatement q(m_db, "SELECT 1 FROM objects WHERE blob = ?1 UNION ALL SELECT 1 FROM "
                         "multipart_parts WHERE blob = ?1 LIMIT 1");
    q.bind(1, sha256);
    if (!q.step().value_or(true)) m_pins->drop(blobPath(sha256)); // bodies being read keep it
}

std::expected<std::optional<R2ObjectInfo>, R2Error> R2Bucket::lookup(const QByteArray& key) {
    // Every get and head comes here: prepared once, reset after each use (a statement left
    // stepping would hold a read transaction open).
    if (!m_lookup) m_lookup = std::make_unique<SqlStatement>(m_db, r2sql::kLookup);
    SqlStatement& q = *m_lookup;
    const SqlResetLater resetLater(q);
    q.bind(1, key);
    auto row = q.step();
    if (!row) return std::unexpected(storeError(row.error()));
    if (!*row) return std::optional<R2ObjectInfo>();
    return std::optional<R2ObjectInfo>(r2sql::objectInfo(q));
}

std::expected<void, R2Error> R2Bucket::writeIndex(const R2ObjectInfo& o,
                                                  const QString& replacedBlob) {
    SqlStatement q(
        m_db, "INSERT OR REPLACE INTO objects (key, version, size, etag, uploaded, http_metadata,"
              " custom_metadata, checksums, blob) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.bind(1, o.key);
    q.bind(2, o.version);
    q.bind(3, o.size);
    q.bind(4, o.etag);
    q.bind(5, o.uploadedMs);
    q.bind(6, QString::fromUtf8(o.httpMetadata));
    q.bind(7, QString::fromUtf8(o.customMetadata));
    q.bind(8, QString::fromUtf8(o.checksums));
    q.bind(9, o.blob);
    if (auto r = q.step(); !r) return std::unexpected(storeError(r.error()));
    if (replacedBlob != o.blob) dropBlobIfUnused(replacedBlob);
    return {};
}

std::expected<std::optional<R2ObjectInfo>, R2Error>
R2Bucket::put(const QByteArray& key, R2Upload& upload, const R2PutOptions& options) {
    if (auto bad = checkKey(key)) return std::unexpected(*bad);
    const QByteArray md5 = upload.m_md5.result();
    const struct {
        const QByteArray& expected;
        QByteArray actual;
        const char* name;
    } digests[] = {{options.md5, md5, "MD5"},
                   {options.sha1, upload.m_sha1 ? upload.m_sha1->result() : QByteArray(), "SHA-1"},
                   {options.sha256, upload.m_sha256.result(), "SHA-256"}};
    QJsonObject checksums{{QStringLiteral("md5"), QString::fromLatin1(md5.toHex())}};
    for (const auto& d : digests) {
        if (d.expected.isEmpty()) continue;
        if (d.expected != d.actual)
            return std::unexpected(R2Error{
                10037,
                QStringLiteral("The %1 checksum you specified did not match what we received.")
                    .arg(QLatin1String(d.name))});
        checksums.insert(QString::fromLatin1(d.name).remove(QLatin1Char('-')).toLower(),
                         QString::fromLatin1(d.actual.toHex()));
    }
    // Under the lock: a blob that exists already must not be dropped by a concurrent delete
    // between here and the row that names it.
    QMutexLocker lock(&m_mutex);
    auto blob = storeBlob(upload);
    if (!blob) return std::unexpected(blob.error());
    SqlTransaction transaction(m_db);
    if (auto r = transaction.begin(); !r) return std::unexpected(storeError(r.error()));
    auto existing = lookup(key);
    if (!existing) return std::unexpected(existing.error());
    const bool conditional = !options.onlyIf.etagMatches.isEmpty() ||
                             !options.onlyIf.etagDoesNotMatch.isEmpty() ||
                             options.onlyIf.uploadedBeforeMs || options.onlyIf.uploadedAfterMs;
    if (conditional &&
        (*existing ? !options.onlyIf.holds(**existing) : !options.onlyIf.etagMatches.isEmpty())) {
        dropBlobIfUnused(*blob);
        return std::optional<R2ObjectInfo>();
    }
    R2ObjectInfo info{key,
                      randomHex(),
                      upload.size(),
                      QString::fromLatin1(md5.toHex()),
                      nowMs(),
                      options.httpMetadata,
                      options.customMetadata,
                      QJsonDocument(checksums).toJson(QJsonDocument::Compact),
                      *blob};
    if (auto r = writeIndex(info, *existing ? (*existing)->blob : QString()); !r)
        return std::unexpected(r.error());
    if (auto r = transaction.commit(); !r) return std::unexpected(storeError(r.error()));
    return std::optional<R2ObjectInfo>(std::move(info));
}

std::expected<std::optional<R2ObjectInfo>, R2Error> R2Bucket::head(const QByteArray& key) {
    if (auto bad = checkKey(key)) return std::unexpected(*bad);
    QMutexLocker lock(&m_mutex);
    return lookup(key);
}

std::expected<std::optional<std::pair<R2ObjectInfo, std::optional<R2Body>>>, R2Error>
R2Bucket::get(const QByteArray& key, const R2Range& range, const R2Conditions& onlyIf) {
    using Result = std::optional<std::pair<R2ObjectInfo, std::optional<R2Body>>>;
    if (auto bad = checkKey(key)) return std::unexpected(*bad);
    QMutexLocker lock(&m_mutex);
    auto found = lookup(key);
    if (!found) return std::unexpected(found.error());
    if (!*found) return Result();
    R2ObjectInfo info = **found;
    if (!onlyIf.holds(info))
        return Result(std::make_pair(std::move(info), std::optional<R2Body>()));
    qint64 offset = 0, length = 0;
    if (range.suffix) {
        length = std::min(*range.suffix, info.size);
        offset = info.size - length;
    } else {
        offset = range.offset.value_or(0);
        if (offset > info.size || (range.offset && offset == info.size && info.size > 0))
            return std::unexpected(
                R2Error{10039, QStringLiteral("The requested range is not satisfiable")});
        length = std::min(range.length.value_or(info.size - offset), info.size - offset);
    }
    R2Body body(m_pins, blobPath(info.blob), offset, length);
    return Result(std::make_pair(std::move(info), std::optional<R2Body>(std::move(body))));
}

std::expected<void, R2Error> R2Bucket::remove(const std::vector<QByteArray>& keys) {
    for (const auto& key : keys)
        if (auto bad = checkKey(key)) return std::unexpected(*bad);
    QMutexLocker lock(&m_mutex);
    SqlTransaction transaction(m_db);
    if (auto r = transaction.begin(); !r) return std::unexpected(storeError(r.error()));
    QStringList blobs;
    for (const auto& key : keys) {
        auto found = lookup(key);
        if (!found) return std::unexpected(found.error());
        if (!*found) continue;
        blobs << (*found)->blob;
        SqlStatement q(m_db, "DELETE FROM objects WHERE key = ?");
        q.bind(1, key);
        if (auto r = q.step(); !r) return std::unexpected(storeError(r.error()));
    }
    if (auto r = transaction.commit(); !r) return std::unexpected(storeError(r.error()));
    for (const QString& blob : blobs)
        dropBlobIfUnused(blob);
    return {};
}

std::expected<R2ListResult, R2Error> R2Bucket::list(const R2ListOptions& options) {
    if (options.limit < 1 || options.limit > 1000)
        return std::unexpected(
            R2Error{10022, QStringLiteral("MaxKeys params must be positive integer <= 1000.")});
    QByteArray lower = options.prefix;
    if (!options.startAfter.isEmpty() && options.startAfter + QByteArray(1, '\0') > lower)
        lower = options.startAfter + QByteArray(1, '\0');
    if (!options.cursor.isEmpty()) {
        auto decoded = QByteArray::fromBase64Encoding(
            options.cursor, kCursorEncoding | QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded) return std::unexpected(R2Error{10022, QStringLiteral("Invalid cursor")});
        lower = std::max(lower, decoded.decoded);
    }
    QMutexLocker lock(&m_mutex);
    auto walked = R2Listing::walk(m_db, options.prefix, options.delimiter, lower, options.limit,
                                  r2sql::kListFrom);
    if (!walked) return std::unexpected(storeError(walked.error()));
    R2ListResult result;
    result.objects = std::move(walked->objects);
    result.delimitedPrefixes = std::move(walked->prefixes);
    result.truncated = walked->truncated;
    if (walked->truncated) result.cursor = walked->next.toBase64(kCursorEncoding);
    return result;
}

std::expected<QString, R2Error> R2Bucket::createMultipart(const QByteArray& key,
                                                          const QByteArray& httpMetadata,
                                                          const QByteArray& customMetadata) {
    if (auto bad = checkKey(key)) return std::unexpected(*bad);
    const QString id = randomHex() + randomHex();
    QMutexLocker lock(&m_mutex);
    SqlStatement q(m_db, "INSERT INTO multipart_uploads (upload_id, key, http_metadata, "
                         "custom_metadata, created) VALUES (?, ?, ?, ?, ?)");
    q.bind(1, id);
    q.bind(2, key);
    q.bind(3, QString::fromUtf8(httpMetadata));
    q.bind(4, QString::fromUtf8(customMetadata));
    q.bind(5, nowMs());
    if (auto r = q.step(); !r) return std::unexpected(storeError(r.error()));
    return id;
}

namespace {

R2Error noSuchUpload() {
    return R2Error{10024, QStringLiteral("The specified multipart upload does not exist.")};
}

bool uploadExists(SqliteDb& db, const QString& id, const QByteArray& key) {
    SqlStatement q(db, "SELECT 1 FROM multipart_uploads WHERE upload_id = ? AND key = ?");
    q.bind(1, id);
    q.bind(2, key);
    return q.step().value_or(false);
}

} // namespace

std::expected<QString, R2Error> R2Bucket::uploadPart(const QByteArray& key, const QString& uploadId,
                                                     int partNumber, R2Upload& upload) {
    if (partNumber < 1 || partNumber > 10000)
        return std::unexpected(
            R2Error{10023, QStringLiteral("Part number must be between 1 and 10000 (inclusive).")});
    {
        QMutexLocker lock(&m_mutex);
        if (!uploadExists(m_db, uploadId, key)) return std::unexpected(noSuchUpload());
    }
    const QByteArray md5 = upload.m_md5.result();
    const qint64 size = upload.size();
    QMutexLocker lock(&m_mutex);
    auto blob = storeBlob(upload);
    if (!blob) return std::unexpected(blob.error());
    QString replaced;
    {
        SqlStatement old(
            m_db, "SELECT blob FROM multipart_parts WHERE upload_id = ? AND part_number = ?");
        old.bind(1, uploadId);
        old.bind(2, qint64(partNumber));
        if (old.step().value_or(false)) replaced = old.text(0);
    }
    const QString etag = QString::fromLatin1(md5.toHex());
    SqlStatement q(m_db, "INSERT OR REPLACE INTO multipart_parts (upload_id, part_number, etag, "
                         "md5, size, blob) VALUES (?, ?, ?, ?, ?, ?)");
    q.bind(1, uploadId);
    q.bind(2, qint64(partNumber));
    q.bind(3, etag);
    q.bind(4, md5);
    q.bind(5, size);
    q.bind(6, *blob);
    if (auto r = q.step(); !r) return std::unexpected(storeError(r.error()));
    if (replaced != *blob) dropBlobIfUnused(replaced);
    return etag;
}

std::expected<R2ObjectInfo, R2Error>
R2Bucket::completeMultipart(const QByteArray& key, const QString& uploadId,
                            const std::vector<std::pair<int, QString>>& parts) {
    struct Part {
        QString blob;
        QByteArray md5;
        qint64 size;
    };
    std::vector<Part> chosen;
    QByteArray httpMetadata, customMetadata;
    {
        QMutexLocker lock(&m_mutex);
        SqlStatement upload(m_db, "SELECT http_metadata, custom_metadata FROM multipart_uploads "
                                  "WHERE upload_id = ? AND key = ?");
        upload.bind(1, uploadId);
        upload.bind(2, key);
        if (!upload.step().value_or(false)) return std::unexpected(noSuchUpload());
        httpMetadata = upload.text(0).toUtf8();
        customMetadata = upload.text(1).toUtf8();
        int previous = 0;
        for (const auto& [number, etag] : parts) {
            if (number <= previous)
                return std::unexpected(R2Error{
                    10025,
                    QStringLiteral("The parts must be listed in ascending order, each once.")});
            previous = number;
            SqlStatement q(m_db, "SELECT blob, md5, size, etag FROM multipart_parts WHERE "
                                 "upload_id = ? AND part_number = ?");
            q.bind(1, uploadId);
            q.bind(2, qint64(number));
            QString bareEtag = etag;
            bareEtag.remove(QLatin1Char('"'));
            if (!q.step().value_or(false) || q.text(3) != bareEtag)
                return std::unexpected(R2Error{
                    10025,
                    QStringLiteral("One or more of the specified parts could not be found.")});
            chosen.push_back({q.text(0), q.blob(1), q.integer(2)});
        }
    }
    if (chosen.empty())
        return std::unexpected(R2Error{
            10025, QStringLiteral("One or more of the specified parts could not be found.")});
    for (size_t i = 0; i + 1 < chosen.size(); ++i)
        if (chosen[i].size < kMinPartBytes)
            return std::unexpected(R2Error{
                10011,
                QStringLiteral(
                    "Your proposed upload is smaller than the minimum allowed object size.")});
    // The object's bytes: the parts copied into one new blob, a megabyte at a time.
    auto out = beginUpload();
    if (!out) return std::unexpected(out.error());
    Digest partsMd5(Digest::Kind::Md5);
    for (const Part& part : chosen) {
        QFile in(blobPath(part.blob));
        if (!in.open(QIODevice::ReadOnly))
            return std::unexpected(
                storeError(QStringLiteral("%1: a part's bytes are missing").arg(in.fileName())));
        while (!in.atEnd())
            if (!(*out)->append(in.read(1 << 20)))
                return std::unexpected(storeError((*out)->error()));
        partsMd5.add(part.md5);
    }
    const qint64 size = (*out)->size();
    QMutexLocker lock(&m_mutex);
    auto blob = storeBlob(**out);
    if (!blob) return std::unexpected(blob.error());
    SqlTransaction transaction(m_db);
    if (auto r = transaction.begin(); !r) return std::unexpected(storeError(r.error()));
    auto existing = lookup(key);
    if (!existing) return std::unexpected(existing.error());
    R2ObjectInfo info{key,
                      randomHex(),
                      size,
                      QStringLiteral("%1-%2")
                          .arg(QString::fromLatin1(partsMd5.result().toHex()))
                          .arg(chosen.size()),
                      nowMs(),
                      httpMetadata,
                      customMetadata,
                      "{}",
                      *blob};
    if (auto r = writeIndex(info, *existing ? (*existing)->blob : QString()); !r)
        return std::unexpected(r.error());
    auto partBlobs = forgetUpload(uploadId);
    if (!partBlobs) return std::unexpected(partBlobs.error());
    if (auto r = transaction.commit(); !r) return std::unexpected(storeError(r.error()));
    for (const QString& b : *partBlobs)
        dropBlobIfUnused(b);
    return info;
}

// Deletes an upload's rows; answers the blobs its parts used, for the caller to drop once
// its transaction has committed.
std::expected<QStringList, R2Error> R2Bucket::forgetUpload(const QString& uploadId) {
    QStringList partBlobs;
    SqlStatement all(m_db, "SELECT blob FROM multipart_parts WHERE upload_id = ?");
    all.bind(1, uploadId);
    while (all.step().value_or(false))
        partBlobs << all.text(0);
    for (const char* sql : {"DELETE FROM multipart_parts WHERE upload_id = ?",
                            "DELETE FROM multipart_uploads WHERE upload_id = ?"}) {
        SqlStatement q(m_db, sql);
        q.bind(1, uploadId);
        if (auto r = q.step(); !r) return std::unexpected(storeError(r.error()));
    }
    return partBlobs;
}

std::expected<void, R2Error> R2Bucket::abortMultipart(const QByteArray& key,
                                                      const QString& uploadId) {
    QMutexLocker lock(&m_mutex);
    if (!uploadExists(m_db, uploadId, key)) return {};
    auto partBlobs = forgetUpload(uploadId);
    if (!partBlobs) return std::unexpected(partBlobs.error());
    for (const QString& b : *partBlobs)
        dropBlobIfUnused(b);
    return {};
}

} // namespace kiln
