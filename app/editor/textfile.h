#pragma once

#include <QString>

#include <expected>

namespace kiln {

// A project file as the editor holds it. Only UTF-8 text is editable: a file in another
// encoding, or binary, opens read-only, so saving can never rewrite it in a different one.
struct TextFile {
    QString path;
    QString text;
    bool editable = true;
    QString whyReadOnly; // when not editable

    static std::expected<TextFile, QString> load(const QString& path);
    // Writes atomically (a temporary file renamed over the old one); the error names the file.
    static std::expected<void, QString> save(const QString& path, const QString& text);
};

} // namespace kiln
