// Test helper for test_kvdurability: writes keys k000000, k000001, ... into a KV store as fast
// as it can and prints "ack N" to stdout (unbuffered) after each put has returned, i.e. only
// once the write is committed. The test kills it with SIGKILL at random moments.
#include "stores/kvstore.h"

#include <QDateTime>

#include <cstdio>

int main(int argc, char** argv)
{
    if (argc < 3)
        return 2;
    kiln::KvStore store(QString::fromLocal8Bit(argv[1]));
    if (!store.open())
        return 3;
    setvbuf(stdout, nullptr, _IONBF, 0);
    const qint64 first = QByteArray(argv[2]).toLongLong();
    for (qint64 i = first;; ++i) {
        const QByteArray key = "k" + QByteArray::number(i).rightJustified(6, '0');
        const QByteArray value = QByteArray(100 + i % 900, static_cast<char>('a' + i % 26));
        if (!store.put(key, value, std::nullopt, "{\"i\":" + QByteArray::number(i) + "}", QDateTime::currentSecsSinceEpoch()))
            return 4;
        printf("ack %lld\n", static_cast<long long>(i));
    }
}
