// Test helper for test_storedurability: `kiln_storewriter kv|d1|r2 PATH FIRST` writes records
// FIRST, FIRST+1, ... into a KV namespace, a D1 database or an R2 bucket (PATH is its folder) as
// fast as it can and prints "ack N" (unbuffered) after each write has returned, i.e. only once it
// is committed. The test kills it with SIGKILL at random moments. A record can be committed and the
// kill land before its ack is printed, so the next run may write it again: writes are idempotent.
#include "stores/d1database.h"
#include "stores/kvstore.h"
#include "stores/r2bucket.h"

#include <QDateTime>

#include <cstdio>
#include <cstring>

namespace {

QByteArray valueFor(qint64 i) {
    return QByteArray(100 + i % 900, static_cast<char>('a' + i % 26));
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 4) return 2;
    const bool kv = strcmp(argv[1], "kv") == 0;
    const bool r2 = strcmp(argv[1], "r2") == 0;
    const QString path = QString::fromLocal8Bit(argv[2]);
    const qint64 first = QByteArray(argv[3]).toLongLong();
    setvbuf(stdout, nullptr, _IONBF, 0);
    kiln::KvStore store(path);
    kiln::D1Database db(path);
    kiln::R2Bucket bucket(path);
    if (kv ? !store.open() : r2 ? !bucket.open() : !db.open()) return 3;
    if (!kv && !r2 &&
        !db.exec(QStringLiteral(
            "CREATE TABLE IF NOT EXISTS t (i INTEGER PRIMARY KEY, v BLOB NOT NULL)")))
        return 3;
    for (qint64 i = first;; ++i) {
        bool ok;
        if (r2) {
            auto upload = bucket.beginUpload();
            ok = upload && (*upload)->append(valueFor(i)) &&
                 bucket.put("k" + QByteArray::number(i).rightJustified(6, '0'), **upload, {})
                     .has_value();
        } else if (kv) {
            const QByteArray key = "k" + QByteArray::number(i).rightJustified(6, '0');
            ok = store
                     .put(key, valueFor(i), std::nullopt, "{\"i\":" + QByteArray::number(i) + "}",
                          QDateTime::currentSecsSinceEpoch())
                     .has_value();
        } else {
            ok = db.run({kiln::D1Statement{
                            QStringLiteral("INSERT OR REPLACE INTO t (i, v) VALUES (?, ?)"),
                            {kiln::SqlValue(i), kiln::SqlValue(valueFor(i))}}})
                     .has_value();
        }
        if (!ok) return 4;
        printf("ack %lld\n", static_cast<long long>(i));
    }
}
