#include "textfile.h"

#include <QFile>
#include <QSaveFile>
#include <QStringDecoder>

namespace kiln {

namespace {
constexpr qint64 kMaxEditableBytes = 32 << 20;
}

std::expected<TextFile, QString> TextFile::load(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return std::unexpected(QStringLiteral("%1: %2").arg(path, file.errorString()));
    TextFile out;
    out.path = path;
    if (file.size() > kMaxEditableBytes) {
        out.editable = false;
        out.whyReadOnly = QObject::tr("%1 MB is too large to edit here").arg(file.size() >> 20);
        return out;
    }
    const QByteArray bytes = file.readAll();
    QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    QString text = utf8(bytes);
    if (utf8.hasError() || bytes.contains('\0')) {
        out.editable = false;
        out.whyReadOnly = QObject::tr("not UTF-8 text: shown read-only so it is never rewritten "
                                      "in another encoding");
        out.text = QString::fromLatin1(bytes.left(64 * 1024)); // a glimpse, never saved
        return out;
    }
    out.text = std::move(text);
    return out;
}

std::expected<void, QString> TextFile::save(const QString& path, const QString& text) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(text.toUtf8()) < 0 || !file.commit())
        return std::unexpected(QStringLiteral("%1: %2").arg(path, file.errorString()));
    return {};
}

} // namespace kiln
