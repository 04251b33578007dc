#include "bodytext.h"

#include <QStringDecoder>

namespace kiln {

bool BodyText::looksBinary(const QByteArray& body, const QByteArray& contentType) {
    for (const char* kind : {"octet-stream", "image/", "audio/", "video/", "zip", "pdf", "wasm"})
        if (contentType.contains(kind)) return true;
    const QByteArray sample = body.left(8192);
    if (sample.contains('\0')) return true;
    QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    (void)utf8(sample.left(sample.size() - 4)); // a character cut at the end is not an error
    return utf8.hasError();
}

QString BodyText::hexDump(const QByteArray& bytes) {
    QString out;
    for (qsizetype at = 0; at < bytes.size(); at += 16) {
        const QByteArray row = bytes.mid(at, 16);
        QString hex = QString::fromLatin1(row.toHex(' '));
        QString ascii;
        for (const char c : row)
            ascii += c >= 0x20 && c < 0x7f ? QLatin1Char(c) : QLatin1Char('.');
        out += QStringLiteral("%1  %2  |%3|\n")
                   .arg(at, 8, 16, QLatin1Char('0'))
                   .arg(hex, -47)
                   .arg(ascii);
    }
    return out;
}

QString BodyText::displayable(const QString& text, qsizetype& column) {
    constexpr qsizetype kLongLine = 2000;
    QString out;
    out.reserve(text.size() + text.size() / kLongLine);
    for (const QChar c : text) {
        column = c == QLatin1Char('\n') ? 0 : column + 1;
        if (column > kLongLine) {
            out += QLatin1Char('\n');
            column = 1;
        }
        out += c;
    }
    return out;
}

QString BodyText::displayable(const QByteArray& bytes) {
    qsizetype column = 0;
    return displayable(QString::fromUtf8(bytes), column);
}

} // namespace kiln
