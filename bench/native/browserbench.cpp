// The data browsers' figures (docs/benchmarks.md): how soon the first page of a
// 1,000,000-key KV namespace and of a 1,000,000-row D1 table is in the model (a fresh model,
// warm page cache), beside the same first-page query done directly with SQLite as the peer;
// and how soon a write by another connection shows in an open model (data_version polling,
// the path when the worker is stopped or a terminal writes). Prints lines for people and
// one JSON line.  kiln_browserbench [RUNS]
#include "d1tablemodel.h"
#include "kvkeysmodel.h"
#include "stores/d1database.h"
#include "stores/kvschema.h"
#include "stores/kvstore.h"
#include "stores/sqlitedb.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QGuiApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>

#include <sqlite3.h>

#include <algorithm>
#include <cstdio>

using namespace kiln;

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

// The peer: the first page straight from SQLite, no model, no thread hand-off.
double peerMs(const QString& path, const char* sql) {
    QElapsedTimer clock;
    clock.start();
    sqlite3* db = nullptr;
    sqlite3_open_v2(path.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
    int rows = 0;
    while (sqlite3_step(stmt) == SQLITE_ROW)
        ++rows;
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return double(clock.nsecsElapsed()) / 1e6;
}

template <typename Model> double firstPageMs(const std::function<Model*()>& make) {
    QElapsedTimer clock;
    clock.start();
    std::unique_ptr<Model> model(make());
    QSignalSpy loaded(model.get(), &Model::loaded);
    loaded.wait(30000);
    return double(clock.nsecsElapsed()) / 1e6;
}

} // namespace

int main(int argc, char** argv) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QGuiApplication app(argc, argv);
    const int runs = argc > 1 ? std::max(1, atoi(argv[1])) : 5;
    QTemporaryDir dir;
    const QString kvPath = dir.filePath(QStringLiteral("kv.sqlite"));
    const QString d1Path = dir.filePath(QStringLiteral("d1.sqlite"));
    {
        SqliteDb db;
        db.open(kvPath);
        db.exec(kvsql::kCreate);
        db.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) "
                "INSERT INTO kv SELECT CAST(printf('key:%07d', i) AS BLOB), zeroblob(100), NULL, "
                "NULL FROM n");
        D1Database d1(d1Path);
        d1.open();
        d1.exec(QStringLiteral(
            "CREATE TABLE big (id INTEGER PRIMARY KEY, name TEXT, n REAL);"
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 1000000) "
            "INSERT INTO big SELECT i, 'row ' || i, i * 0.5 FROM s"));
    }
    std::vector<double> kv, kvPeer, d1, d1Peer;
    for (int i = 0; i < runs; ++i) {
        kv.push_back(
            firstPageMs<KvKeysModel>([&] { return new KvKeysModel(kvPath, nullptr, 200); }));
        kvPeer.push_back(peerMs(kvPath, "SELECT key, expiration, metadata, length(value) FROM kv "
                                        "ORDER BY key LIMIT 201"));
        d1.push_back(firstPageMs<D1TableModel>(
            [&] { return new D1TableModel(d1Path, QStringLiteral("big")); }));
        d1Peer.push_back(peerMs(d1Path, "SELECT count(*) FROM big; "));
        d1Peer.back() += peerMs(d1Path, "SELECT rowid, * FROM big ORDER BY rowid LIMIT 256");
    }
    // Live: a KvStore put from another connection, until the open model has the key.
    std::vector<double> live;
    {
        KvKeysModel model(kvPath, nullptr, 200);
        model.setFilter("live:");
        QSignalSpy loaded(&model, &KvKeysModel::loaded);
        loaded.wait(30000);
        KvStore writer(kvPath);
        writer.open();
        for (int i = 0; i < runs * 2; ++i) {
            const int before = model.rowCount();
            QElapsedTimer clock;
            clock.start();
            writer.put(QByteArray("live:") + QByteArray::number(i), "v", std::nullopt, {},
                       QDateTime::currentSecsSinceEpoch());
            while (model.rowCount() == before && clock.elapsed() < 5000)
                QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
            live.push_back(double(clock.nsecsElapsed()) / 1e6);
            // Writes land at random moments of the poll cycle, as a person's would.
            QElapsedTimer pause;
            pause.start();
            while (pause.elapsed() < 137 * (i % 4))
                QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
        }
    }
    std::printf("KV, 1,000,000 keys: first page in the model %.1f ms (median of %d); SQLite alone "
                "%.1f ms\n",
                median(kv), runs, median(kvPeer));
    std::printf(
        "D1, 1,000,000 rows: count + first page in the model %.1f ms; SQLite alone %.1f ms\n",
        median(d1), median(d1Peer));
    std::printf(
        "another connection's KV write shown by an open model after %.0f ms (median of %zu; "
        "max %.0f; polling every 500 ms)\n",
        median(live), live.size(), *std::max_element(live.begin(), live.end()));
    const QJsonObject json{
        {QStringLiteral("kvFirstPageMs"), median(kv)},
        {QStringLiteral("kvPeerMs"), median(kvPeer)},
        {QStringLiteral("d1FirstPageMs"), median(d1)},
        {QStringLiteral("d1PeerMs"), median(d1Peer)},
        {QStringLiteral("liveMedianMs"), median(live)},
        {QStringLiteral("liveMaxMs"), *std::max_element(live.begin(), live.end())}};
    std::printf("%s\n", QJsonDocument(json).toJson(QJsonDocument::Compact).constData());
    return 0;
}
