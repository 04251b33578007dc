// WranglerState on state a real `wrangler dev` wrote (tests/fixtures/wrangler-state, see its
// README): the Durable Object ids name its files, and an import brings every KV key (value,
// metadata, expiration; NUL in a name), D1 table and R2 object (bytes, content type, custom
// metadata) into Kiln's stores, which then read them as the bindings would. Kiln's data is
// not overwritten unless asked.
#include "copytree.h"
#include "project/projectconfig.h"
#include "stores/d1reader.h"
#include "stores/kvreader.h"
#include "stores/r2reader.h"
#include "stores/wranglerstate.h"

#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

using namespace kiln;

class TestWranglerState : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void idsNameTheFiles();
    void readInPlace();
    void importBringsEverything();
    void kilnDataIsKeptUnlessReplaced();

private:
    ProjectConfig project() const;
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_v3;
    // The fixture's "temp" key expires at 1796253828 (s): before, and after it.
    static constexpr qint64 kBefore = 1796250300;
    static constexpr qint64 kAfter = 1796253900;
};

void TestWranglerState::init() {
    const QString fixture =
        qEnvironmentVariable("KILN_SOURCE_DIR") + QStringLiteral("/tests/fixtures/wrangler-state");
    m_dir = std::make_unique<QTemporaryDir>();
    // A copy: SQLite adds -wal/-shm files beside a WAL database it opens, even read-only.
    QVERIFY(kiln::test::copyTree(fixture, m_dir->filePath(QStringLiteral("project"))));
    m_v3 = WranglerState::defaultDir(m_dir->filePath(QStringLiteral("project")));
    QVERIFY(QFileInfo(m_v3).isDir());
}

ProjectConfig TestWranglerState::project() const {
    ProjectConfig config;
    config.rootDir = m_dir->filePath(QStringLiteral("project"));
    config.kvNamespaces = {{QStringLiteral("KV"), QStringLiteral("fixture-kv"), {}}};
    config.d1Databases = {
        {QStringLiteral("DB"), QStringLiteral("fixture-db"), QStringLiteral("fixture-d1"), {}}};
    config.r2Buckets = {{QStringLiteral("BUCKET"), QStringLiteral("fixture-bucket")}};
    return config;
}

void TestWranglerState::idsNameTheFiles() {
    QCOMPARE(WranglerState::objectId(QStringLiteral("miniflare-KVNamespaceObject"),
                                     QStringLiteral("fixture-kv")),
             QStringLiteral("40220726fe292488e831a1faab3f4a91cc1efba7142c27609734d7cc5507e670"));
    const WranglerState state(m_v3);
    const auto stores = state.locations(project());
    QCOMPARE(stores.size(), size_t(3));
    for (const StoreLocation& store : stores)
        QVERIFY2(QFileInfo::exists(store.path), qPrintable(store.path));
    // The D1 file is SQLite with the user's tables: Kiln's reader opens it as it is.
    D1Reader reader(state.d1File(QStringLiteral("fixture-d1")));
    auto tables = reader.tables();
    QVERIFY(tables);
    QCOMPARE(tables->size(), size_t(1));
    QCOMPARE(tables->at(0).name, QStringLiteral("notes"));
}

// Kiln's readers open wrangler's KV and R2 files as they are (the browsers' read-only view).
void TestWranglerState::readInPlace() {
    const WranglerState state(m_v3);
    auto kv = KvReader::miniflare(state.kvFile(QStringLiteral("fixture-kv")),
                                  state.kvBlobs(QStringLiteral("fixture-kv")));
    auto keys = kv->keys(std::nullopt, {}, 10, kBefore);
    QVERIFY2(keys, keys ? "" : qPrintable(keys.error().message));
    QCOMPARE(keys->keys.size(), size_t(4));
    QCOMPARE(keys->keys[0].name, QByteArray("greeting"));
    QCOMPARE(keys->keys[0].valueBytes, qint64(19));
    QCOMPARE(keys->keys[2].expiration, std::optional<qint64>(1796253828));
    QCOMPARE(kv->keys(std::nullopt, {}, 10, kAfter)->keys.size(), size_t(3)); // temp expired
    QCOMPARE(kv->keys(std::nullopt, "user:", 10, kBefore)->keys.size(), size_t(1));
    QCOMPARE(kv->keys(std::nullopt, {}, 10, kBefore, QByteArray("\0", 1))->keys.size(), size_t(1));
    auto user = kv->value("user:1", kBefore);
    QVERIFY(user && *user);
    QCOMPARE((*user)->value, QByteArray(R"({"name":"Ada"})"));
    QCOMPARE((*user)->metadata, QByteArray(R"({"role":"admin"})"));

    auto r2 = R2Reader::miniflare(state.r2File(QStringLiteral("fixture-bucket")),
                                  state.r2Blobs(QStringLiteral("fixture-bucket")));
    auto top = r2->list({}, "/", {}, 10);
    QVERIFY2(top, top ? "" : qPrintable(top.error().message));
    QCOMPARE(top->prefixes, (std::vector<QByteArray>{"bin/", "docs/"}));
    auto readme = r2->head("docs/readme.txt");
    QVERIFY(readme && *readme);
    QCOMPARE((*readme)->size, qint64(7));
    QCOMPARE((*readme)->customMetadata, QByteArray(R"({"by":"wrangler"})"));
    QCOMPARE(**r2->read("docs/readme.txt", 0, 100), QByteArray("R2 text"));
    QVERIFY(r2->uploads()->empty());
}

void TestWranglerState::importBringsEverything() {
    const StateLayout kiln(m_dir->filePath(QStringLiteral("kiln-state")));
    auto imported = WranglerState(m_v3).import(project(), kiln, false, kBefore);
    QVERIFY2(imported, imported ? "" : qPrintable(imported.error()));
    QCOMPARE(imported->done,
             QStringList({"KV KV: 4 keys", "D1 DB: 1 tables", "R2 BUCKET: 2 objects"}));
    QVERIFY(imported->skipped.isEmpty());

    KvReader kv(kiln.kvFile(QStringLiteral("fixture-kv")));
    auto keys = kv.keys(std::nullopt, {}, 10, kBefore);
    QVERIFY(keys);
    QCOMPARE(keys->keys.size(), size_t(4));
    QCOMPARE(keys->keys[1].name, QByteArray("null\0key", 8));
    QCOMPARE(keys->keys[2].name, QByteArray("temp"));
    QCOMPARE(keys->keys[2].expiration, std::optional<qint64>(1796253828));
    auto user = kv.value("user:1", kBefore);
    QVERIFY(user && *user);
    QCOMPARE((*user)->value, QByteArray(R"({"name":"Ada"})"));
    QCOMPARE((*user)->metadata, QByteArray(R"({"role":"admin"})"));

    D1Reader d1(kiln.d1File(QStringLiteral("fixture-d1")));
    auto rows = d1.query(QStringLiteral("SELECT text FROM notes ORDER BY id"), 10);
    QVERIFY(rows);
    QCOMPARE(rows->rows.size(), size_t(2));
    QCOMPARE(std::get<QString>(rows->rows[1][0]), QStringLiteral("second"));
    auto tables = d1.tables();
    QCOMPARE(tables->size(), size_t(1)); // D1's _cf_ bookkeeping not copied

    R2Reader r2(kiln.r2Dir(QStringLiteral("fixture-bucket")));
    auto readme = r2.head("docs/readme.txt");
    QVERIFY(readme && *readme);
    QCOMPARE((*readme)->httpMetadata, QByteArray(R"({"contentType":"text/plain"})"));
    QCOMPARE((*readme)->customMetadata, QByteArray(R"({"by":"wrangler"})"));
    QCOMPARE(**r2.read("docs/readme.txt", 0, 100), QByteArray("R2 text"));
    QCOMPARE(**r2.read("bin/data.bin", 0, 100), QByteArray("\x00\x01\x02\xff", 4));
}

void TestWranglerState::kilnDataIsKeptUnlessReplaced() {
    const StateLayout kiln(m_dir->filePath(QStringLiteral("kiln-state")));
    const WranglerState state(m_v3);
    QVERIFY(state.import(project(), kiln, false, kBefore));
    auto again = state.import(project(), kiln, false, kAfter);
    QVERIFY(again);
    QVERIFY(again->done.isEmpty());
    QCOMPARE(again->skipped, QStringList({"KV KV", "D1 DB", "R2 BUCKET"}));
    auto replaced = state.import(project(), kiln, true, kAfter);
    QVERIFY(replaced);
    QCOMPARE(replaced->done.first(), QStringLiteral("KV KV: 3 keys")); // "temp" had expired
}

QTEST_MAIN(TestWranglerState)
#include "test_wranglerstate.moc"
