// R2Reader: an R2 bucket folder read-only while something else may write it. Never creates
// the folder, pages through hostile keys exactly once, heads and reads byte ranges, and
// answers Busy at once when the index is locked.
#include "stores/r2bucket.h"
#include "stores/r2reader.h"

#include "rawsqlite.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>

using namespace kiln;
using kiln::test::LateRelease;
using kiln::test::RawSqlite;
using namespace std::chrono_literals;

class TestR2Reader : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void missingBucketIsNeverCreated();
    void listingPagesEveryKeyOnce_data();
    void listingPagesEveryKeyOnce();
    void headAndRead();
    void foldersAsTheBindingGroupsThem();
    void busyAtOnceThenRecovers();

private:
    bool put(const QByteArray& key, const QByteArray& bytes, const R2PutOptions& options = {});
    QString bucketDir() const { return m_dir->filePath(QStringLiteral("state/r2/bucket")); }
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<R2Bucket> m_bucket;
};

void TestR2Reader::init() {
    m_dir = std::make_unique<QTemporaryDir>();
    m_bucket = std::make_unique<R2Bucket>(bucketDir());
    QVERIFY(m_bucket->open());
}

void TestR2Reader::cleanup() {
    m_bucket.reset();
    m_dir.reset();
}

bool TestR2Reader::put(const QByteArray& key, const QByteArray& bytes,
                       const R2PutOptions& options) {
    auto upload = m_bucket->beginUpload();
    if (!upload || !(*upload)->append(bytes)) return false;
    auto r = m_bucket->put(key, **upload, options);
    return r && *r;
}

void TestR2Reader::missingBucketIsNeverCreated() {
    const QString missing = m_dir->filePath(QStringLiteral("other/r2/none"));
    R2Reader reader(missing);
    auto listed = reader.objects(std::nullopt, {}, 10);
    QVERIFY(!listed);
    QCOMPARE(listed.error().code, StoreError::Code::Missing);
    QVERIFY(listed.error().message.startsWith(QStringLiteral("no such store file: ") + missing));
    QCOMPARE(reader.read("k", 0, 10).error().code, StoreError::Code::Missing);
    QVERIFY(!QFileInfo::exists(m_dir->filePath(QStringLiteral("other"))));
}

void TestR2Reader::listingPagesEveryKeyOnce_data() {
    QTest::addColumn<int>("limit");
    QTest::addColumn<QByteArray>("prefix");
    for (int limit : {1, 2, 5, 1000})
        QTest::addRow("all-by-%d", limit) << limit << QByteArray();
    QTest::newRow("a-by-1") << 1 << QByteArray("a");
    QTest::newRow("ff-by-2") << 2 << QByteArray("\xff");
    QTest::newRow("dir-by-1") << 1 << QByteArray("dir/");
}

void TestR2Reader::listingPagesEveryKeyOnce() {
    QFETCH(int, limit);
    QFETCH(QByteArray, prefix);
    // R2 allows the empty key, NUL bytes, and keys that look like paths.
    const std::vector<QByteArray> keys = {QByteArray(),
                                          QByteArray("\x00", 1),
                                          QByteArray("\x00\x00", 2),
                                          "a",
                                          QByteArray("a\x00", 2),
                                          "a\xff",
                                          "ab",
                                          "\xff",
                                          "\xff\xff",
                                          "dir/",
                                          "dir/x",
                                          "dir/x/y",
                                          "../escape",
                                          QByteArray(1024, 'z'),
                                          QByteArray(1023, 'z') + "\xff",
                                          QByteArray(1024, '\xff')};
    for (const auto& key : keys)
        QVERIFY2(put(key, "bytes of " + key), key.toHex().constData());
    std::vector<QByteArray> expected;
    for (const auto& key : keys)
        if (key.startsWith(prefix)) expected.push_back(key);
    std::sort(expected.begin(), expected.end());

    R2Reader reader(bucketDir());
    std::vector<QByteArray> seen;
    std::optional<QByteArray> after;
    for (int pages = 0;; ++pages) {
        QVERIFY(pages <= int(keys.size()) + 1);
        auto page = reader.objects(after, prefix, limit);
        QVERIFY2(page, qPrintable(page ? QString() : page.error().message));
        QVERIFY(int(page->objects.size()) <= limit);
        for (const auto& o : page->objects) {
            seen.push_back(o.key);
            QCOMPARE(o.size, qint64(9 + o.key.size()));
        }
        if (!page->more) break;
        QVERIFY(!page->objects.empty());
        after = page->objects.back().key;
    }
    QCOMPARE(seen, expected);
}

void TestR2Reader::headAndRead() {
    R2PutOptions options;
    options.httpMetadata = R"({"contentType":"text/plain"})";
    options.customMetadata = R"({"owner":"me"})";
    QVERIFY(put("notes/a.txt", "0123456789", options));
    QVERIFY(put("empty", {}));
    R2Reader reader(bucketDir());
    auto head = reader.head("notes/a.txt");
    QVERIFY(head && *head);
    const auto written = m_bucket->head("notes/a.txt");
    QCOMPARE((*head)->size, qint64(10));
    QCOMPARE((*head)->etag, (**written).etag);
    QCOMPARE((*head)->uploadedMs, (**written).uploadedMs);
    QCOMPARE((*head)->httpMetadata, QByteArray(R"({"contentType":"text/plain"})"));
    QCOMPARE((*head)->customMetadata, QByteArray(R"({"owner":"me"})"));
    QVERIFY(!*reader.head("nope"));

    QCOMPARE(**reader.read("notes/a.txt", 0, 100), QByteArray("0123456789"));
    QCOMPARE(**reader.read("notes/a.txt", 3, 4), QByteArray("3456"));
    QCOMPARE(**reader.read("notes/a.txt", 8, 100), QByteArray("89"));
    QCOMPARE(**reader.read("notes/a.txt", 50, 10), QByteArray());
    QCOMPARE(**reader.read("notes/a.txt", -5, 2), QByteArray("01"));
    QCOMPARE(**reader.read("empty", 0, 10), QByteArray());
    QVERIFY(!*reader.read("nope", 0, 10));

    // Overwritten and deleted through the writer meanwhile: the reader follows the index.
    QVERIFY(put("notes/a.txt", "new bytes"));
    QCOMPARE(**reader.read("notes/a.txt", 0, 100), QByteArray("new bytes"));
    QVERIFY(m_bucket->remove({"notes/a.txt"}));
    QVERIFY(!*reader.read("notes/a.txt", 0, 100));
    // The reader left no files behind in the bucket besides SQLite's own.
    QVERIFY(QDir(bucketDir() + QStringLiteral("/tmp")).isEmpty());
}

// The folder view groups keys at "/" exactly as the binding's list() does (one shared
// walk), pages through folders and objects alike, and never reads past the prefix.
void TestR2Reader::foldersAsTheBindingGroupsThem() {
    for (const QByteArray& key :
         {QByteArray("a.txt"), QByteArray("docs/x.md"), QByteArray("docs/y/z.md"),
          QByteArray("img/1.png"), QByteArray("img/2.png"), QByteArray("z")})
        QVERIFY(put(key, "b"));
    R2Reader reader(bucketDir());
    auto top = reader.list({}, "/", {}, 3);
    QVERIFY(top);
    QCOMPARE(top->objects.size(), size_t(1));
    QCOMPARE(top->objects[0].key, QByteArray("a.txt"));
    QCOMPARE(top->prefixes, (std::vector<QByteArray>{"docs/", "img/"}));
    QVERIFY(top->truncated);
    auto rest = reader.list({}, "/", top->next, 3);
    QVERIFY(rest && !rest->truncated);
    QCOMPARE(rest->objects.size(), size_t(1));
    QCOMPARE(rest->objects[0].key, QByteArray("z"));
    QVERIFY(rest->prefixes.empty());
    auto docs = reader.list("docs/", "/", {}, 10);
    QVERIFY(docs);
    QCOMPARE(docs->objects.size(), size_t(1));
    QCOMPARE(docs->prefixes, (std::vector<QByteArray>{"docs/y/"}));
    // The binding's own listing agrees.
    R2ListOptions options;
    options.prefix = "docs/";
    options.delimiter = "/";
    auto bound = m_bucket->list(options);
    QVERIFY(bound);
    QCOMPARE(bound->delimitedPrefixes, docs->prefixes);
    auto flat = reader.list({}, {}, {}, 10);
    QVERIFY(flat);
    QCOMPARE(flat->objects.size(), size_t(6));
}

void TestR2Reader::busyAtOnceThenRecovers() {
    QVERIFY(put("k", "v"));
    m_bucket.reset(); // an exclusive locking mode can only be taken with no other connection
    RawSqlite writer(bucketDir() + QStringLiteral("/index.sqlite"));
    QVERIFY2(writer.exec("PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; DELETE FROM objects;"),
             qPrintable(writer.error()));
    R2Reader reader(bucketDir());
    {
        LateRelease release(1500ms, [&] {
            writer.exec("ROLLBACK");
            writer.close();
        });
        auto listed = reader.objects(std::nullopt, {}, 10);
        QVERIFY(!listed);
        QCOMPARE(listed.error().code, StoreError::Code::Busy);
        auto head = reader.head("k");
        QVERIFY(!head);
        QCOMPARE(head.error().code, StoreError::Code::Busy);
        release.wait();
    }
    auto listed = reader.objects(std::nullopt, {}, 10);
    QVERIFY2(listed, qPrintable(listed ? QString() : listed.error().message));
    QCOMPARE(listed->objects.size(), size_t(1));
    QCOMPARE(**reader.read("k", 0, 10), QByteArray("v"));
}

QTEST_GUILESS_MAIN(TestR2Reader)
#include "test_r2reader.moc"
