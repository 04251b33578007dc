// R2ObjectsModel and R2Transfer, the R2 browser's model and mover, over a real bucket:
// QAbstractItemModelTester throughout; folders grouped at "/" and a flat view; a write by
// another connection shows in place; a 256 MiB file goes up (as a multipart upload) and
// comes back byte for byte with resident memory growing by well under 50 MB; cancel and
// bad keys leave nothing behind; unfinished multipart uploads are listed and abortable.

#include "procstatus.h"
#include "r2objectsmodel.h"
#include "r2transfer.h"
#include "stores/r2bucket.h"

#include <QAbstractItemModelTester>
#include <QCryptographicHash>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace kiln;

class TestR2ObjectsModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void foldersAndFlat();
    void anotherWriterShowsInPlace();
    void bigFileUpAndDownInFlatMemory();
    void cancelAndBadKeysLeaveNothing();
    void pendingUploadsListedAndAborted();

private:
    QString bucket() const { return m_dir->filePath(QStringLiteral("r2/files")); }
    void put(const QByteArray& key, const QByteArray& bytes, const QByteArray& type = {});
    QString upload(R2Transfer& transfer, const QString& file, const QByteArray& key);
    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestR2ObjectsModel::init() {
    m_dir = std::make_unique<QTemporaryDir>();
}

void TestR2ObjectsModel::put(const QByteArray& key, const QByteArray& bytes,
                             const QByteArray& type) {
    R2Bucket b(bucket());
    QVERIFY(b.open());
    auto upload = b.beginUpload();
    QVERIFY(upload && (*upload)->append(bytes));
    R2PutOptions options;
    if (!type.isEmpty()) options.httpMetadata = "{\"contentType\":\"" + type + "\"}";
    QVERIFY(b.put(key, **upload, options));
}

QString TestR2ObjectsModel::upload(R2Transfer& transfer, const QString& file,
                                   const QByteArray& key) {
    QSignalSpy finished(&transfer, &R2Transfer::finished);
    transfer.upload(file, key, "{\"contentType\":\"application/octet-stream\"}",
                    "{\"by\":\"test\"}");
    if (!finished.wait(120000)) return QStringLiteral("timed out");
    return finished.first().at(0).toString();
}

void TestR2ObjectsModel::foldersAndFlat() {
    put("a.txt", "hello", "text/plain");
    put("img/1.png", "p");
    put("img/2.png", "pp");
    put("img/old/3.png", "ppp");
    // No tester on this one: it calls fetchMore itself, and the pages are what is checked.
    R2ObjectsModel model(bucket(), nullptr, 2);
    QTRY_COMPARE(model.rowCount(), 2); // a page of two: a.txt and img/
    QCOMPARE(model.index(0, R2ObjectsModel::NameColumn).data().toString(), QStringLiteral("a.txt"));
    QCOMPARE(model.index(0, R2ObjectsModel::TypeColumn).data().toString(),
             QStringLiteral("text/plain"));
    QCOMPARE(model.index(1, R2ObjectsModel::NameColumn).data().toString(), QStringLiteral("img/"));
    QVERIFY(model.index(1, 0).data(R2ObjectsModel::IsFolderRole).toBool());
    QVERIFY(!model.canFetchMore({}));
    model.setPrefix("img/");
    QTRY_COMPARE(model.rowCount(), 2);
    QVERIFY(model.canFetchMore({}));
    model.fetchMore({});
    QTRY_COMPARE(model.rowCount(), 3);
    QCOMPARE(model.index(2, 0).data().toString(), QStringLiteral("old/"));
    QCOMPARE(model.index(0, 0).data(R2ObjectsModel::KeyRole).toByteArray(),
             QByteArray("img/1.png"));
    model.setFlat(true);
    QTRY_COMPARE(model.rowCount(), 2);
    model.fetchMore({});
    QTRY_COMPARE(model.rowCount(), 3);
    QCOMPARE(model.index(2, 0).data().toString(), QStringLiteral("img/old/3.png"));
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setFlat(false);
    QTRY_COMPARE(model.rowCount(), 3);
}

void TestR2ObjectsModel::anotherWriterShowsInPlace() {
    put("a", "1");
    put("c", "3");
    R2ObjectsModel model(bucket());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_COMPARE(model.rowCount(), 2);
    const QPersistentModelIndex c = model.index(1, 0);
    put("b", "22");
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 3, 2000);
    QCOMPARE(c.row(), 2);
    put("c", "three");
    QTRY_COMPARE_WITH_TIMEOUT(model.index(2, 0).data(R2ObjectsModel::SizeRole).toLongLong(), 5,
                              2000);
}

void TestR2ObjectsModel::bigFileUpAndDownInFlatMemory() {
    constexpr qint64 kSize = 256LL << 20;
    const QString source = m_dir->filePath(QStringLiteral("big.bin"));
    QCryptographicHash sent(QCryptographicHash::Sha256);
    {
        QFile file(source);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QByteArray chunk(1 << 20, '\0');
        for (qint64 i = 0; i < kSize / chunk.size(); ++i) {
            for (int j = 0; j < chunk.size(); j += 4096)
                chunk[j] = char(i + j); // not all zeros: a lost or repeated chunk would show
            sent.addData(chunk);
            QVERIFY(file.write(chunk) == chunk.size());
        }
    }
    const qint64 before = kiln::test::procStatusKiB("VmRSS");
    R2Transfer transfer(bucket());
    QSignalSpy progress(&transfer, &R2Transfer::progress);
    QCOMPARE(upload(transfer, source, "big/file.bin"), QString());
    QVERIFY(progress.size() >= 2);
    QCOMPARE(progress.last().at(0).toLongLong(), kSize);
    R2Reader reader(bucket());
    auto head = reader.head("big/file.bin");
    QVERIFY(head && *head);
    QCOMPARE((*head)->size, kSize);
    QVERIFY2((*head)->etag.endsWith(QLatin1String("-8")), qPrintable((*head)->etag)); // 8 parts
    QCOMPARE((*head)->customMetadata, QByteArray("{\"by\":\"test\"}"));

    const QString copy = m_dir->filePath(QStringLiteral("copy.bin"));
    QSignalSpy finished(&transfer, &R2Transfer::finished);
    transfer.download("big/file.bin", copy);
    QVERIFY(finished.wait(120000));
    QCOMPARE(finished.first().at(0).toString(), QString());
    const qint64 grown = kiln::test::procStatusKiB("VmHWM") - before;
    qInfo("256 MiB up and down; resident memory grew by %lld KiB at its peak", grown);
    QVERIFY2(grown < 50 * 1024, qPrintable(QString::number(grown)));
    QFile back(copy);
    QVERIFY(back.open(QIODevice::ReadOnly));
    QCryptographicHash got(QCryptographicHash::Sha256);
    QVERIFY(got.addData(&back));
    QCOMPARE(got.result().toHex(), sent.result().toHex());
}

void TestR2ObjectsModel::cancelAndBadKeysLeaveNothing() {
    const QString source = m_dir->filePath(QStringLiteral("mid.bin"));
    {
        QFile file(source);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QVERIFY(file.write(QByteArray(150 << 20, 'x')) == (150 << 20)); // multipart
    }
    R2Transfer transfer(bucket());
    QSignalSpy finished(&transfer, &R2Transfer::finished);
    connect(&transfer, &R2Transfer::progress, &transfer, [&] { transfer.cancel(); });
    transfer.upload(source, "gone.bin", "{}", "{}");
    QVERIFY(finished.wait(120000));
    QCOMPARE(finished.first().at(0).toString(), QStringLiteral("cancelled"));
    R2Reader reader(bucket());
    QVERIFY(!*reader.head("gone.bin"));
    QVERIFY(reader.uploads()->empty()); // the multipart upload was aborted
    const QString refused = upload(transfer, source, QByteArray(1025, 'k'));
    // R2's words for a key past its 1024-byte limit, as the binding reports it.
    QCOMPARE(refused, QStringLiteral("The specified object name is not valid."));
    const QString missing = m_dir->filePath(QStringLiteral("nope.bin"));
    transfer.download("nope", missing);
    finished.clear();
    QVERIFY(finished.wait(10000));
    QVERIFY(finished.first().at(0).toString().startsWith(QLatin1String("no such object")));
    QVERIFY(!QFile::exists(missing));
}

void TestR2ObjectsModel::pendingUploadsListedAndAborted() {
    R2Bucket b(bucket());
    QVERIFY(b.open());
    auto id = b.createMultipart("half.bin", "{}", "{}");
    QVERIFY(id);
    auto part = b.beginUpload();
    QVERIFY(part && (*part)->append(QByteArray(R2Bucket::kMinPartBytes, 'p')));
    QVERIFY(b.uploadPart("half.bin", *id, 1, **part));
    R2Reader reader(bucket());
    auto uploads = reader.uploads();
    QVERIFY(uploads && uploads->size() == 1);
    QCOMPARE(uploads->at(0).key, QByteArray("half.bin"));
    QCOMPARE(uploads->at(0).parts, 1);
    QCOMPARE(uploads->at(0).bytes, R2Bucket::kMinPartBytes);
    R2Transfer transfer(bucket());
    QSignalSpy finished(&transfer, &R2Transfer::finished);
    transfer.abortUpload("half.bin", *id);
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.first().at(0).toString(), QString());
    QVERIFY(reader.uploads()->empty());
}

QTEST_MAIN(TestR2ObjectsModel)
#include "test_r2objectsmodel.moc"
