#include "project/configdocument.h"

#include <QStringList>

namespace kiln {

QString ConfigDocument::childPointer(const QString& parent, const QString& key) {
    QString escaped = key;
    escaped.replace(QLatin1Char('~'), QLatin1String("~0"));
    escaped.replace(QLatin1Char('/'), QLatin1String("~1"));
    return parent + QLatin1Char('/') + escaped;
}

QString ConfigDocument::childPointer(const QString& parent, qsizetype index) {
    return parent + QLatin1Char('/') + QString::number(index);
}

QString ConfigDocument::displayPath(const QString& pointer) {
    QString out;
    const QStringList parts = pointer.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    for (QString part : parts) {
        part.replace(QLatin1String("~1"), QLatin1String("/"));
        part.replace(QLatin1String("~0"), QLatin1String("~"));
        bool isIndex = false;
        part.toUInt(&isIndex);
        if (isIndex && !out.isEmpty())
            out += QLatin1Char('[') + part + QLatin1Char(']');
        else
            out += (out.isEmpty() ? QString() : QStringLiteral(".")) + part;
    }
    return out;
}

SourcePos ConfigDocument::positionOf(const QString& pointer) const {
    QString p = pointer;
    for (;;) {
        const auto it = positions.constFind(p);
        if (it != positions.constEnd()) return *it;
        if (p.isEmpty()) return {};
        p.truncate(p.lastIndexOf(QLatin1Char('/')));
    }
}

ConfigError ConfigDocument::errorAt(const QString& pointer, const QString& message) const {
    const SourcePos pos = positionOf(pointer);
    return ConfigError{file, pos.line, pos.column, message};
}

} // namespace kiln
