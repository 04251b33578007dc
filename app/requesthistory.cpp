#include "requesthistory.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

namespace kiln {

RequestHistory::RequestHistory(QString path, int limit)
    : m_path(std::move(path))
    , m_limit(limit) {}

QList<HttpFileRequest> RequestHistory::entries() const {
    QFile file(m_path);
    if (m_path.isEmpty() || !file.open(QIODevice::ReadOnly)) return {};
    return HttpFile::parse(QString::fromUtf8(file.readAll())).requests;
}

bool RequestHistory::append(const HttpCallRequest& request, const QString& note) {
    if (m_path.isEmpty()) return false;
    HttpFile file;
    file.requests = entries();
    HttpFileRequest entry;
    entry.title = note;
    entry.method = request.method;
    entry.url = request.url.toString();
    entry.headers = request.headers;
    entry.body = QString::fromUtf8(request.body);
    file.requests.append(entry);
    while (file.requests.size() > m_limit)
        file.requests.removeFirst();
    QDir().mkpath(QFileInfo(m_path).absolutePath());
    QSaveFile out(m_path);
    return out.open(QIODevice::WriteOnly) && out.write(file.serialize().toUtf8()) >= 0 &&
           out.commit();
}

} // namespace kiln
