#pragma once

#include <QObject>
#include <QProcess>

#include <functional>
#include <memory>

namespace kiln {

// Syntax-highlighted HTML for a response body, by content type. KSyntaxHighlighting has no Qt 6
// build on Debian 12, so this runs Debian's `kate-syntax-highlighter` (the KF5 tool) out of
// process behind this small interface (ARCHITECTURE.md §6); a KF6 build can replace it
// in-process later. Without the tool, or for a type it does not know, `done` gets an empty
// string and the caller shows plain text. Asynchronous: the GUI thread never waits for it.
class SyntaxPreview : public QObject {
    Q_OBJECT
public:
    explicit SyntaxPreview(QObject* parent = nullptr);
    ~SyntaxPreview() override;

    // The Kate syntax definition for a content type ("JSON", "HTML", ...), or empty.
    static QString syntaxFor(const QByteArray& contentType);
    bool available() const { return !m_tool.isEmpty(); }
    // Highlights `text`; a newer call supersedes an older one still running (its `done` is
    // never called). `dark` picks a dark theme.
    void highlight(const QString& syntax, const QByteArray& text, bool dark,
                   std::function<void(const QString& html)> done);

private:
    QString m_tool;
    std::unique_ptr<QProcess> m_process;
    quint64 m_generation = 0;
};

} // namespace kiln
