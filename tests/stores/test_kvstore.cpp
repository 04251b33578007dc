// KvStore on real SQLite files: values, metadata, ordering by bytes, prefixes, cursors,
// expiry, Cloudflare's limits and their messages, hostile keys, concurrent writers.
#include "stores/kvstore.h"

#include <QTemporaryDir>
#include <QTest>

#include <thread>

using namespace kiln;

class TestKvStore : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void putGetDelete();
    void hostileKeysAreJustKeys();
    void listOrderPrefixAndCursor();
    void expiry();
    void limits_data();
    void limits();
    void concurrentWriters();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<KvStore> m_kv;
    const qint64 m_now = 1'800'000'000;
};

void TestKvStore::init() {
    m_dir = std::make_unique<QTemporaryDir>();
    m_kv = std::make_unique<KvStore>(m_dir->filePath(QStringLiteral("kv/ns.sqlite")));
    QVERIFY(m_kv->open());
}

void TestKvStore::cleanup() {
    m_kv.reset();
    m_dir.reset();
}

void TestKvStore::putGetDelete() {
    QVERIFY(m_kv->put("k", "v1", std::nullopt, {}, m_now));
    QVERIFY(m_kv->put("k", QByteArray("\x00\x01", 2), std::nullopt, "{\"a\":1}", m_now));
    auto got = m_kv->get("k", m_now);
    QVERIFY(got && *got);
    QCOMPARE((*got)->value, QByteArray("\x00\x01", 2));
    QCOMPARE((*got)->metadata, QByteArray("{\"a\":1}"));
    QVERIFY(!(*got)->expiration);
    QVERIFY(m_kv->put("empty", {}, std::nullopt, {}, m_now));
    QCOMPARE((*m_kv->get("empty", m_now))->value, QByteArray());
    QVERIFY(m_kv->remove("k"));
    QVERIFY(!*m_kv->get("k", m_now));
    QVERIFY(m_kv->remove("never-there")); // deleting a missing key is not an error
    QVERIFY(QFile::exists(m_kv->path()));
}

void TestKvStore::hostileKeysAreJustKeys() {
    const QList<QByteArray> keys = {
        "../../etc/passwd", QByteArray("nul\0inside", 10), "\xff\xfe invalid utf-8", "/abs/path",
        "C:\\windows",      QByteArray(512, 'x'),          "\xe2\x80\xae rtl"};
    for (const auto& key : keys)
        QVERIFY2(m_kv->put(key, key, std::nullopt, {}, m_now), key.toHex().constData());
    for (const auto& key : keys)
        QCOMPARE((*m_kv->get(key, m_now))->value, key);
    // Only the database file (and its WAL) exists: no key became a path.
    const QStringList files =
        QDir(m_dir->filePath(QStringLiteral("kv"))).entryList(QDir::Files | QDir::NoDotAndDotDot);
    for (const QString& f : files)
        QVERIFY2(f.startsWith(QLatin1String("ns.sqlite")), qPrintable(f));
    QVERIFY(!QFile::exists(m_dir->filePath(QStringLiteral("etc"))));
}

void TestKvStore::listOrderPrefixAndCursor() {
    for (const QByteArray& k :
         {QByteArray("b"), QByteArray("a"), QByteArray("\xff"), QByteArray("a\xff"),
          QByteArray("a\xff\xff"), QByteArray("ab"), QByteArray("B"), QByteArray("a\x00", 2)})
        QVERIFY(m_kv->put(k, "v", std::nullopt,
                          k == "ab" ? QByteArray("{\"m\":true}") : QByteArray(), m_now));
    auto all = m_kv->list({}, 1000, {}, m_now);
    QVERIFY(all);
    QList<QByteArray> names;
    for (const auto& k : all->keys)
        names << k.name;
    // Byte order: "B" (0x42) before "a" (0x61); 0xff last.
    const QList<QByteArray> expected = {
        "B", "a", QByteArray("a\x00", 2), "ab", "a\xff", "a\xff\xff", "b", "\xff"};
    QCOMPARE(names, expected);
    QVERIFY(all->complete);
    QVERIFY(all->cursor.isEmpty());
    QCOMPARE(all->keys[3].metadata, QByteArray("{\"m\":true}"));

    auto underA = m_kv->list("a\xff", 1000, {}, m_now); // a prefix ending in 0xff
    QVERIFY(underA);
    QCOMPARE(underA->keys.size(), size_t(2));
    auto underFF = m_kv->list("\xff", 1000, {}, m_now); // a prefix of only 0xff: no upper bound
    QCOMPARE(underFF->keys.size(), size_t(1));

    for (int i = 0; i < 2500; ++i)
        QVERIFY(m_kv->put("page:" + QByteArray::number(i).rightJustified(5, '0'), "x", std::nullopt,
                          {}, m_now));
    QByteArray cursor;
    int pages = 0, seen = 0;
    QByteArray last;
    for (;;) {
        auto page = m_kv->list("page:", 1000, cursor, m_now);
        QVERIFY(page);
        ++pages;
        for (const auto& k : page->keys) {
            QVERIFY(k.name > last);
            last = k.name;
            ++seen;
        }
        if (page->complete) break;
        QVERIFY(!page->cursor.isEmpty());
        cursor = page->cursor;
    }
    QCOMPARE(seen, 2500);
    QCOMPARE(pages, 3);
}

void TestKvStore::expiry() {
    QVERIFY(m_kv->put("soon", "v", m_now + 100, {}, m_now));
    QVERIFY(m_kv->put("later", "v", m_now + 1000, {}, m_now));
    QCOMPARE(*(*m_kv->get("soon", m_now))->expiration, m_now + 100);
    QVERIFY(*m_kv->get("soon", m_now + 99));
    QVERIFY(!*m_kv->get("soon", m_now + 100)); // gone at its expiration second
    auto listed = m_kv->list({}, 10, {}, m_now + 500);
    QCOMPARE(listed->keys.size(), size_t(1));
    QCOMPARE(listed->keys[0].name, QByteArray("later"));
    QCOMPARE(*listed->keys[0].expiration, m_now + 1000);
}

void TestKvStore::limits_data() {
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<qsizetype>("valueSize");
    QTest::addColumn<int>("metadataSize");
    QTest::addColumn<qint64>("expiresIn");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("message");
    QTest::newRow("empty key") << QByteArray() << qsizetype(1) << 0 << qint64(0) << 400
                               << "Key names must not be empty";
    QTest::newRow("dot") << QByteArray(".") << qsizetype(1) << 0 << qint64(0) << 400
                         << "Illegal key name \".\". Please use a different name.";
    QTest::newRow("dot dot") << QByteArray("..") << qsizetype(1) << 0 << qint64(0) << 400
                             << "Illegal key name \"..\". Please use a different name.";
    QTest::newRow("513-byte key") << QByteArray(513, 'k') << qsizetype(1) << 0 << qint64(0) << 414
                                  << "UTF-8 encoded length of 513 exceeds key length limit of 512.";
    QTest::newRow("value over 25 MiB")
        << QByteArray("k") << qsizetype(25 * 1024 * 1024 + 1) << 0 << qint64(0) << 413
        << "Value length of 26214401 exceeds limit of 26214400.";
    QTest::newRow("metadata over 1 KiB") << QByteArray("k") << qsizetype(1) << 1025 << qint64(0)
                                         << 413 << "Metadata length of 1025 exceeds limit of 1024.";
    QTest::newRow("expiration under 60 s")
        << QByteArray("k") << qsizetype(1) << 0 << qint64(30) << 400
        << "Invalid expiration of 1800000030. Please specify integer greater than the current "
           "number of seconds since the UNIX epoch.";
}

void TestKvStore::limits() {
    QFETCH(QByteArray, key);
    QFETCH(qsizetype, valueSize);
    QFETCH(int, metadataSize);
    QFETCH(qint64, expiresIn);
    QFETCH(int, status);
    QFETCH(QString, message);
    const auto expiration = expiresIn ? std::optional<qint64>(m_now + expiresIn) : std::nullopt;
    auto r = m_kv->put(key, QByteArray(valueSize, 'v'), expiration, QByteArray(metadataSize, ' '),
                       m_now);
    QVERIFY(!r);
    QCOMPARE(r.error().status, status);
    QCOMPARE(r.error().message, message);
    QVERIFY(m_kv->put(QByteArray(512, 'k'), QByteArray(KvStore::kMaxValueBytes, 'v'), m_now + 60,
                      QByteArray(1024, ' '), m_now)); // every limit, exactly
    auto badLimit = m_kv->list({}, 1001, {}, m_now);
    QVERIFY(!badLimit);
    QCOMPARE(badLimit.error().status, 400);
    QVERIFY(!m_kv->list({}, 0, {}, m_now));
    QVERIFY(!m_kv->list({}, 10, "!!not a cursor!!", m_now));
}

void TestKvStore::concurrentWriters() {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([this, t] {
            for (int i = 0; i < 100; ++i)
                m_kv->put("t" + QByteArray::number(t) + ":" + QByteArray::number(i),
                          QByteArray::number(i), std::nullopt, {}, m_now);
        });
    for (auto& th : threads)
        th.join();
    auto listed = m_kv->list("t", 1000, {}, m_now);
    QCOMPARE(listed->keys.size(), size_t(400));
    QCOMPARE((*m_kv->get("t3:99", m_now))->value, QByteArray("99"));
}

QTEST_GUILESS_MAIN(TestKvStore)
#include "test_kvstore.moc"
