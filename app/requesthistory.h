#pragma once

#include "httpdocument.h"

namespace kiln {

// The composer's history: every request sent, newest last, kept as a `.http` file (the same
// format as the project's request files, so it can be opened, edited and replayed), at most
// `limit` entries.
class RequestHistory {
public:
    explicit RequestHistory(QString path = {}, int limit = 200);
    const QString& path() const { return m_path; }
    bool append(const HttpCallRequest& request, const QString& note);
    QList<HttpFileRequest> entries() const; // oldest first

private:
    QString m_path;
    int m_limit;
};

} // namespace kiln
