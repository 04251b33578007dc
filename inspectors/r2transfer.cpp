#include "r2transfer.h"

#include "stores/r2bucket.h"
#include "stores/r2reader.h"

#include <QElapsedTimer>
#include <QFile>
#include <QSaveFile>

namespace kiln {

namespace {

QString cancelled() {
    return QObject::tr("cancelled");
}

// Streams `length` bytes of `file` from its current position into `upload`.
QString feed(QFile& file, R2Upload& upload, qint64 length, const std::atomic<bool>& cancel,
             const std::function<void(qint64)>& advanced) {
    QByteArray chunk;
    for (qint64 left = length; left > 0;) {
        if (cancel.load()) return cancelled();
        chunk = file.read(std::min(left, R2Transfer::kChunkBytes));
        if (chunk.isEmpty()) return QObject::tr("%1: %2").arg(file.fileName(), file.errorString());
        if (!upload.append(chunk)) return upload.error();
        left -= chunk.size();
        advanced(chunk.size());
    }
    return {};
}

} // namespace

R2Transfer::R2Transfer(QString bucketDir, QObject* parent)
    : QObject(parent)
    , m_dir(std::move(bucketDir))
    , m_bucket(std::make_shared<R2Bucket>(m_dir)) {}

R2Transfer::~R2Transfer() {
    cancel(); // the loader's destructor then waits for the job to stop at its next chunk
}

void R2Transfer::start(
    std::function<QString(R2Bucket&, const std::function<void(qint64, qint64)>&)> work) {
    m_cancel->store(false);
    m_loader.run<QString>(
        [this, bucket = m_bucket, work = std::move(work), readOnly = bool(m_reader)] {
            if (!readOnly)
                if (auto opened = bucket->open(); !opened) return opened.error();
            QElapsedTimer sinceReport;
            sinceReport.start();
            const auto report = [this, &sinceReport](qint64 done, qint64 total) {
                if (sinceReport.elapsed() < 100 && done < total) return;
                sinceReport.restart();
                QMetaObject::invokeMethod(
                    this, [this, done, total] { Q_EMIT progress(done, total); },
                    Qt::QueuedConnection);
            };
            return work(*bucket, report);
        },
        [this](QString error) { Q_EMIT finished(error); });
}

void R2Transfer::upload(const QString& path, const QByteArray& key, const QByteArray& httpMetadata,
                        const QByteArray& customMetadata) {
    start([path, key, httpMetadata, customMetadata, cancel = m_cancel](
              R2Bucket& bucket, const std::function<void(qint64, qint64)>& report) -> QString {
        if (auto bad = R2Bucket::checkKey(key)) return bad->message;
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return QStringLiteral("%1: %2").arg(path, file.errorString());
        const qint64 total = file.size();
        qint64 done = 0;
        const auto advanced = [&](qint64 n) { report(done += n, total); };
        if (total <= kMultipartAbove) {
            auto upload = bucket.beginUpload();
            if (!upload) return upload.error().message;
            if (QString e = feed(file, **upload, total, *cancel, advanced); !e.isEmpty()) return e;
            R2PutOptions options;
            options.httpMetadata = httpMetadata;
            options.customMetadata = customMetadata;
            auto put = bucket.put(key, **upload, options);
            return put ? QString() : put.error().message;
        }
        auto id = bucket.createMultipart(key, httpMetadata, customMetadata);
        if (!id) return id.error().message;
        std::vector<std::pair<int, QString>> parts;
        for (int number = 1; done < total; ++number) {
            auto upload = bucket.beginUpload();
            QString error =
                upload ? feed(file, **upload, std::min(kPartBytes, total - done), *cancel, advanced)
                       : upload.error().message;
            if (error.isEmpty()) {
                auto etag = bucket.uploadPart(key, *id, number, **upload);
                if (etag)
                    parts.push_back({number, *etag});
                else
                    error = etag.error().message;
            }
            if (!error.isEmpty()) {
                bucket.abortMultipart(key, *id); // its parts' blobs go with it
                return error;
            }
        }
        auto completed = bucket.completeMultipart(key, *id, parts);
        return completed ? QString() : completed.error().message;
    });
}

void R2Transfer::download(const QByteArray& key, const QString& path) {
    auto source = m_reader ? m_reader : std::make_shared<R2Reader>(m_dir);
    start([key, path, source, cancel = m_cancel](
              R2Bucket&, const std::function<void(qint64, qint64)>& report) -> QString {
        R2Reader& reader = *source;
        auto head = reader.head(key);
        if (!head) return head.error().message;
        if (!*head) return tr("no such object: %1").arg(QString::fromUtf8(key));
        const qint64 total = (*head)->size;
        QSaveFile out(path);
        if (!out.open(QIODevice::WriteOnly))
            return QStringLiteral("%1: %2").arg(path, out.errorString());
        for (qint64 done = 0; done < total;) {
            if (cancel->load()) return cancelled(); // QSaveFile removes the partial file
            auto bytes = reader.read(key, done, kChunkBytes * 4);
            if (!bytes)
                return QStringLiteral("%1: %2").arg(QString::fromUtf8(key), bytes.error().message);
            if (!*bytes || (*bytes)->isEmpty())
                return tr("%1 changed while it was read").arg(QString::fromUtf8(key));
            if (out.write(**bytes) != (*bytes)->size())
                return QStringLiteral("%1: %2").arg(path, out.errorString());
            done += (*bytes)->size();
            report(done, total);
        }
        return out.commit() ? QString() : QStringLiteral("%1: %2").arg(path, out.errorString());
    });
}

void R2Transfer::remove(const QList<QByteArray>& keys) {
    start([keys](R2Bucket& bucket, const std::function<void(qint64, qint64)>&) -> QString {
        auto r = bucket.remove(std::vector<QByteArray>(keys.begin(), keys.end()));
        return r ? QString() : r.error().message;
    });
}

void R2Transfer::abortUpload(const QByteArray& key, const QString& uploadId) {
    start([key, uploadId](R2Bucket& bucket, const std::function<void(qint64, qint64)>&) -> QString {
        auto r = bucket.abortMultipart(key, uploadId);
        return r ? QString() : r.error().message;
    });
}

} // namespace kiln
