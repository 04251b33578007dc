// CheckedFile, the code cache's files: a write reads back, and maps back (a write into the
// mapping stays out of the file); a flipped byte, a cut or a missing sidecar is refused and
// the file removed, by a read or a map, also after a check ahead on another thread; prune keeps the
// most recently used files under the limit and clears what older versions left.

#include "engine/cachewrites.h"
#include "engine/checkedfile.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

using kiln::CheckedFile;

class TestCheckedFile : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void writesAndReadsBack();
    void mapsBackCopyOnWrite();
    void damagedFilesAreRefusedAndRemoved_data();
    void damagedFilesAreRefusedAndRemoved();
    void pruneKeepsTheRecentlyUsed();
    void backgroundWritesOfOnePathKeepTheLast();
    void checkedAheadFilesMapAsChecked();
};

namespace {

QByteArray pattern(qsizetype size) {
    QByteArray bytes(size, Qt::Uninitialized);
    for (qsizetype i = 0; i < size; ++i)
        bytes[i] = char((i * 131) ^ (i >> 7));
    return bytes;
}

bool setUsed(const QString& path, const QDateTime& used) {
    QFile file(path);
    return file.open(QIODevice::ReadWrite) &&
           file.setFileTime(used, QFileDevice::FileModificationTime) &&
           file.setFileTime(used, QFileDevice::FileAccessTime);
}

bool makeFile(const QString& path, qsizetype size, const QDateTime& used) {
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(pattern(size)) != size) return false;
    file.close();
    return setUsed(path, used);
}

} // namespace

void TestCheckedFile::writesAndReadsBack() {
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("sub/file-a.bin"));
    const QByteArray bytes = pattern(9 << 20); // over two read chunks
    QVERIFY(CheckedFile::write(path, bytes));
    QVERIFY(QFile::exists(CheckedFile::sidecarPath(path)));
    QByteArray back;
    QVERIFY(CheckedFile::readAll(path, &back));
    QCOMPARE(back, bytes);
    QVERIFY(CheckedFile::read(path)); // checking alone keeps the file
    QVERIFY(QFile::exists(path));
    QVERIFY(!CheckedFile::readAll(dir.filePath(QStringLiteral("absent.bin")), &back));
}

void TestCheckedFile::mapsBackCopyOnWrite() {
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("file-m.bin"));
    const QByteArray bytes = pattern(3 << 20);
    QVERIFY(CheckedFile::write(path, bytes));
    {
        auto mapping = CheckedFile::map(path);
        QVERIFY(mapping);
        QCOMPARE(QByteArray(static_cast<const char*>(mapping->data()), qsizetype(mapping->size())),
                 bytes);
        static_cast<char*>(mapping->data())[12345] ^= 1; // JS may write into its buffer
    }
    QByteArray back;
    QVERIFY(CheckedFile::readAll(path, &back)); // the file is as written
    QCOMPARE(back, bytes);
    QVERIFY(!CheckedFile::map(dir.filePath(QStringLiteral("absent.bin"))));
}

void TestCheckedFile::damagedFilesAreRefusedAndRemoved_data() {
    QTest::addColumn<QString>("damage");
    QTest::addColumn<bool>("mapped");
    for (const bool mapped : {false, true}) {
        const char* how = mapped ? " (mapped)" : " (read)";
        QTest::newRow(qPrintable(QStringLiteral("a flipped byte") + how))
            << QStringLiteral("flip") << mapped;
        QTest::newRow(qPrintable(QStringLiteral("cut short") + how))
            << QStringLiteral("cut") << mapped;
        QTest::newRow(qPrintable(QStringLiteral("a byte more") + how))
            << QStringLiteral("grow") << mapped;
        QTest::newRow(qPrintable(QStringLiteral("no sidecar") + how))
            << QStringLiteral("sidecar") << mapped;
    }
}

void TestCheckedFile::damagedFilesAreRefusedAndRemoved() {
    QFETCH(QString, damage);
    QFETCH(bool, mapped);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("file-b.bin"));
    QVERIFY(CheckedFile::write(path, pattern(100000)));
    if (mapped) {
        // Checked once in this process: a later map of the same file unchanged is not read
        // again, but one damaged since (a later modification time) must be.
        QVERIFY(CheckedFile::map(path));
        QTest::qSleep(20);
    }
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadWrite));
    if (damage == QLatin1String("flip")) {
        char c = 0;
        QVERIFY(file.seek(54321) && file.getChar(&c));
        QVERIFY(file.seek(54321) && file.putChar(char(c ^ 1)));
    } else if (damage == QLatin1String("cut")) {
        QVERIFY(file.resize(99999));
    } else if (damage == QLatin1String("grow")) {
        QVERIFY(file.seek(100000) && file.putChar('x'));
    } else {
        QVERIFY(QFile::remove(CheckedFile::sidecarPath(path)));
    }
    file.close();
    QByteArray back;
    QVERIFY(mapped ? !CheckedFile::map(path) : !CheckedFile::readAll(path, &back));
    QVERIFY(!QFile::exists(path));
    QVERIFY(!QFile::exists(CheckedFile::sidecarPath(path)));
}

void TestCheckedFile::pruneKeepsTheRecentlyUsed() {
    QTemporaryDir dir;
    const QDateTime now = QDateTime::currentDateTime();
    const auto checked = [&](const char* name, int ageHours) {
        const QString path = dir.filePath(QLatin1String(name));
        return CheckedFile::write(path, pattern(1000)) &&
               setUsed(path, now.addSecs(-3600 * ageHours));
    };
    QVERIFY(checked("wasm-new.bin", 1));
    QVERIFY(checked("file-mid.bin", 5));
    QVERIFY(checked("file-old.bin", 48));
    QVERIFY(checked("file-older.bin", 72));
    // Reading marks a file used: the oldest one becomes the newest. Its modification time,
    // which cache keys name, stays.
    const QDateTime written =
        QFileInfo(dir.filePath(QStringLiteral("file-older.bin"))).lastModified();
    QVERIFY(CheckedFile::read(dir.filePath(QStringLiteral("file-older.bin"))));
    QCOMPARE(QFileInfo(dir.filePath(QStringLiteral("file-older.bin"))).lastModified(), written);
    QVERIFY(makeFile(dir.filePath(QStringLiteral("file-v1.bin.sha256")), 64, now));
    QVERIFY(makeFile(dir.filePath(QStringLiteral("file-unchecked.bin")), 10, now.addDays(-1)));
    QVERIFY(makeFile(dir.filePath(QStringLiteral("file-being-written.bin")), 10, now));
    QVERIFY(makeFile(dir.filePath(QStringLiteral("file-x.bin.Ab12Cd")), 10, now)); // a temp
    // Snapshots' lists of touched pages (SnapshotPages) go with their snapshots.
    QVERIFY(makeFile(dir.filePath(QStringLiteral("file-mid.bin.pages")), 10, now));
    QVERIFY(makeFile(dir.filePath(QStringLiteral("file-old.bin.pages")), 10, now));

    CheckedFile::prune(dir.path(), 3000); // room for three of the four
    QStringList left = QDir(dir.path()).entryList(QDir::Files, QDir::Name);
    QCOMPARE(left, (QStringList{
                       QStringLiteral("file-being-written.bin"),
                       QStringLiteral("file-mid.bin"),
                       QStringLiteral("file-mid.bin.pages"),
                       QStringLiteral("file-mid.bin.xxh3"),
                       QStringLiteral("file-older.bin"),
                       QStringLiteral("file-older.bin.xxh3"),
                       QStringLiteral("file-x.bin.Ab12Cd"),
                       QStringLiteral("wasm-new.bin"),
                       QStringLiteral("wasm-new.bin.xxh3"),
                   }));
    CheckedFile::prune(dir.path(), 1000);
    left = QDir(dir.path()).entryList({QStringLiteral("*.xxh3")}, QDir::Files, QDir::Name);
    QCOMPARE(left, QStringList{QStringLiteral("file-older.bin.xxh3")});
}

// The code cache is written once a worker is up and again after its first request, each on a
// thread of its own: writers of one file must not interleave (one's file beside the other's
// checksum reads as damaged, and is deleted), and the last one queued must win.
void TestCheckedFile::backgroundWritesOfOnePathKeepTheLast() {
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("js-cache.bin"));
    QByteArray last;
    for (int i = 0; i < 24; ++i) {
        last = pattern((24 - i) * (512 << 10) + i); // the later, the sooner done
        last[0] = char(i);
        kiln::writeCacheInBackground(path, last);
    }
    kiln::waitForCacheWrites(30000);
    QByteArray back;
    QVERIFY(CheckedFile::readAll(path, &back));
    QCOMPARE(back.size(), last.size());
    QCOMPARE(back, last);
}

void TestCheckedFile::checkedAheadFilesMapAsChecked() {
    QTemporaryDir dir;
    const auto flip = [](const QString& path) {
        QFile file(path);
        char c = 0;
        return file.open(QIODevice::ReadWrite) && file.seek(4321) && file.getChar(&c) &&
               file.seek(4321) && file.putChar(char(c ^ 1));
    };
    // Whole: the map after the check ahead gives the bytes.
    const QString good = dir.filePath(QStringLiteral("file-good.bin"));
    const QByteArray bytes = pattern(5 << 20);
    QVERIFY(CheckedFile::write(good, bytes));
    CheckedFile::checkAhead(good);
    {
        auto mapping = CheckedFile::map(good);
        QVERIFY(mapping);
        QCOMPARE(QByteArray(static_cast<const char*>(mapping->data()), qsizetype(mapping->size())),
                 bytes);
    }
    // Damaged since it was checked ahead (a later modification time): read again, refused.
    QTest::qSleep(20);
    QVERIFY(flip(good));
    CheckedFile::checkAhead(good); // asked for already: nothing new
    QVERIFY(!CheckedFile::map(good));
    QVERIFY(!QFile::exists(good));
    // Damaged before: the check ahead does not vouch for it, and leaves it for map to remove.
    const QString bad = dir.filePath(QStringLiteral("file-bad.bin"));
    QVERIFY(CheckedFile::write(bad, pattern(100000)));
    QVERIFY(flip(bad));
    CheckedFile::checkAhead(bad);
    QVERIFY(!CheckedFile::map(bad));
    QVERIFY(!QFile::exists(bad) && !QFile::exists(CheckedFile::sidecarPath(bad)));
    // Absent: nothing to check, nothing mapped.
    const QString absent = dir.filePath(QStringLiteral("file-absent.bin"));
    CheckedFile::checkAhead(absent);
    QVERIFY(!CheckedFile::map(absent));
}

QTEST_GUILESS_MAIN(TestCheckedFile)
#include "test_checkedfile.moc"
