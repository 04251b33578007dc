#include "procstatus.h"

#include <QFile>

namespace kiln::test {

qint64 procStatusKiB(const char* field, qint64 pid) {
    QFile status(pid ? QStringLiteral("/proc/%1/status").arg(pid)
                     : QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly)) return -1;
    const QByteArray prefix = QByteArray(field) + ':';
    for (const QByteArray& line : status.readAll().split('\n'))
        if (line.startsWith(prefix))
            return line.mid(prefix.size()).trimmed().split(' ').value(0).toLongLong();
    return -1;
}

QHash<QString, qint64> residentFileKiB(qint64 pid) {
    QHash<QString, qint64> out;
    QFile smaps(QStringLiteral("/proc/%1/smaps").arg(pid));
    if (!smaps.open(QIODevice::ReadOnly)) return out;
    QString path; // of the mapping whose fields follow
    for (const QByteArray& line : smaps.readAll().split('\n')) {
        const QList<QByteArray> words = line.simplified().split(' ');
        if (words.size() >= 5 && words[0].contains('-') && !line.endsWith(" kB"))
            path = words.size() >= 6 && words[5].startsWith('/') ? QString::fromUtf8(words[5])
                                                                 : QString();
        else if (!path.isEmpty() && words.size() == 3 && words[0] == "Rss:")
            out[path] += words[1].toLongLong();
    }
    return out;
}

} // namespace kiln::test
