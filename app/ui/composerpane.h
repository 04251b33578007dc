#pragma once

#include "curlcommand.h"
#include "httpcall.h"
#include "requesthistory.h"

#include <QPointer>
#include <QStringDecoder>

#include <QWidget>
#include <expected>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QTabWidget;
class QTextBrowser;
class QTreeWidget;

namespace kiln {

// The request composer: method, URL (the running worker's by default), headers and body;
// Ctrl+Enter sends. The response shows status, timing and size, the body pretty-printed
// (JSON as a tree and indented text), raw, and the headers. Bodies stream in as they arrive;
// past 16 MB only the head is kept.
class ComposerPane : public QWidget {
    Q_OBJECT
public:
    explicit ComposerPane(QWidget* parent = nullptr);

    // The running worker's address: relative URLs (and an empty field) resolve against it.
    void setBaseUrl(const QString& url);
    void setRequest(const HttpCallRequest& request);
    // The request as composed. The body follows the chosen kind: text as is; JSON and form
    // lines (`name=value`, URL-encoded) with their content type unless a header sets one; a
    // file's bytes (content type from its name). The error names a file that cannot be read.
    HttpCallRequest request() const;
    std::expected<HttpCallRequest, QString> buildRequest() const;
    enum class BodyKind { Text, Json, Form, File };
    void setBodyKind(BodyKind kind);
    void setBodyFile(const QString& path);
    void setParamsText(const QString& text); // `name=value` lines, as in the Params tab
    QString paramsText() const;
    QString urlText() const;
    void send();
    // Ends the request in flight, keeping what arrived (Send turns into Cancel meanwhile; Esc).
    void cancel();
    bool sending() const { return !m_call.isNull(); }
    // Fills the request from a `curl ...` command; false (and the status line says why) if it
    // cannot be read.
    bool importCurl(const QString& command);
    // Sends the last request again with its whole body going to `path` (for answers too large
    // to keep here); `saved` tells when it is there.
    void saveBody(const QString& path);
    QString curlCommand() const { return toCurl(request()); }
    // Where sent requests are kept (the project's .kiln/history.http); empty: nowhere.
    void setHistoryFile(const QString& path) { m_history = RequestHistory(path); }
    // Appends the request as composed to a `.http` file (created if need be), named `name`.
    std::expected<void, QString> saveToHttpFile(const QString& path, const QString& name) const;
    const RequestHistory& history() const { return m_history; }
    const HttpCallResponse& lastResponse() const { return m_last; }
    QString statusText() const;
    QString bodyText() const;
    // The body view's rich text once highlighting has arrived (empty before, or when plain).
    QString bodyHtml() const;
    // The image preview's size (invalid when the body is not an image).
    QSize previewSize() const;

Q_SIGNALS:
    void responded(const kiln::HttpCallResponse& response);
    void saved(const QString& path, const QString& error);
    // The person asked to keep the request in the project's requests.http.
    void saveToProjectRequested();

private:
    void showResponse(const HttpCallResponse& response, bool done);
    void showStreamed(const HttpCallResponse& response);
    void setSending(bool sending);
    QString m_baseUrl;
    QPointer<HttpCall> m_call;
    QPointer<HttpCall> m_save;
    HttpCallRequest m_lastRequest;
    HttpCallResponse m_last;
    RequestHistory m_history;
    QComboBox* m_method;
    QLineEdit* m_url;
    QPushButton* m_send;
    QPlainTextEdit* m_headers;
    QPlainTextEdit* m_body;
    QPlainTextEdit* m_params;
    QComboBox* m_bodyKind;
    QLineEdit* m_bodyFile;
    bool m_syncing = false; // the URL and the Params tab are being made to agree
    QLabel* m_status;
    QPushButton* m_saveButton;
    QTabWidget* m_views;
    QTextBrowser* m_pretty;
    QLabel* m_preview;
    class SyntaxPreview* m_syntax;
    bool m_highlighted = false;
    struct Stream { // what of the answer in flight the body view shows so far
        qsizetype shown = 0;
        qsizetype column = 0;
        bool binary = false;
        QStringDecoder decoder{QStringDecoder::Utf8};
    } m_stream;
    QTreeWidget* m_tree;
    QPlainTextEdit* m_raw;
    QPlainTextEdit* m_responseHeaders;
};

} // namespace kiln
