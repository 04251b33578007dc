#pragma once

#include "storeloader.h"

#include <QObject>
#include <QString>

#include <atomic>
#include <memory>

namespace kiln {

class R2Bucket;

// Moves bytes between files and one R2 bucket for the R2 browser, one job at a time on a
// background thread, streamed in chunks so memory stays flat for any size: an upload is
// written through R2Bucket (the binding's store code) in one put, or as a multipart upload
// of kPartBytes parts when larger than kMultipartAbove; a download is read through R2Reader
// into a QSaveFile (nothing is left behind on failure). Progress is reported a few times a
// second; cancel() stops at the next chunk (a multipart upload is then aborted).
class R2Transfer : public QObject {
    Q_OBJECT
public:
    static constexpr qint64 kMultipartAbove = 100LL << 20;
    static constexpr qint64 kPartBytes = 32LL << 20;
    static constexpr qint64 kChunkBytes = 1LL << 20;

    explicit R2Transfer(QString bucketDir, QObject* parent = nullptr);
    ~R2Transfer() override;

    // `httpMetadata` and `customMetadata` are JSON object text.
    void upload(const QString& file, const QByteArray& key, const QByteArray& httpMetadata,
                const QByteArray& customMetadata);
    void download(const QByteArray& key, const QString& file);
    // Downloads read through this reader (wrangler's state) instead of the bucket folder's.
    void setReader(std::shared_ptr<class R2Reader> reader) { m_reader = std::move(reader); }
    void remove(const QList<QByteArray>& keys);
    void abortUpload(const QByteArray& key, const QString& uploadId);
    void cancel() { m_cancel->store(true); }

Q_SIGNALS:
    void progress(qint64 done, qint64 total);
    void finished(const QString& error); // empty on success

private:
    void start(std::function<QString(R2Bucket&, const std::function<void(qint64, qint64)>&)> work);

    QString m_dir;
    std::shared_ptr<std::atomic<bool>> m_cancel = std::make_shared<std::atomic<bool>>(false);
    std::shared_ptr<R2Bucket> m_bucket;
    std::shared_ptr<class R2Reader> m_reader;
    StoreLoader m_loader; // last: destroyed first, so no job outlives the members above
};

} // namespace kiln
