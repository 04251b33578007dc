#include "composerpane.h"

#include "bodytext.h"
#include "editor/lexerhighlighter.h"
#include "sizetext.h"
#include "syntaxpreview.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMimeDatabase>
#include <QPixmap>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSaveFile>
#include <QShortcut>
#include <QSplitter>
#include <QStandardPaths>
#include <QStringDecoder>
#include <QTabWidget>
#include <QTextBrowser>
#include <QTextCursor>
#include <QToolButton>
#include <QTreeWidget>
#include <QUrlQuery>
#include <QVBoxLayout>

namespace kiln {

namespace {

void fillTree(QTreeWidgetItem* parent, const QString& key, const QJsonValue& value) {
    auto* item = new QTreeWidgetItem(parent);
    item->setText(0, key);
    if (value.isObject()) {
        const QJsonObject object = value.toObject();
        item->setText(1, QStringLiteral("{%1}").arg(object.size()));
        for (auto it = object.begin(); it != object.end(); ++it)
            fillTree(item, it.key(), it.value());
    } else if (value.isArray()) {
        const QJsonArray array = value.toArray();
        item->setText(1, QStringLiteral("[%1]").arg(array.size()));
        for (int i = 0; i < array.size(); ++i)
            fillTree(item, QString::number(i), array.at(i));
    } else {
        item->setText(
            1,
            QString::fromUtf8(
                QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact).mid(1).chopped(1)));
    }
}

} // namespace

ComposerPane::ComposerPane(QWidget* parent)
    : QWidget(parent)
    , m_method(new QComboBox(this))
    , m_url(new QLineEdit(this))
    , m_send(new QPushButton(tr("Send"), this))
    , m_headers(new QPlainTextEdit(this))
    , m_body(new QPlainTextEdit(this))
    , m_params(new QPlainTextEdit(this))
    , m_bodyKind(new QComboBox(this))
    , m_bodyFile(new QLineEdit(this))
    , m_status(new QLabel(this))
    , m_saveButton(new QPushButton(tr("Save Body…"), this))
    , m_views(new QTabWidget(this))
    , m_pretty(new QTextBrowser(this))
    , m_preview(new QLabel(this))
    , m_syntax(new SyntaxPreview(this))
    , m_tree(new QTreeWidget(this))
    , m_raw(new QPlainTextEdit(this))
    , m_responseHeaders(new QPlainTextEdit(this)) {
    m_method->setEditable(true); // any token is a method
    m_method->addItems({QStringLiteral("GET"), QStringLiteral("POST"), QStringLiteral("PUT"),
                        QStringLiteral("PATCH"), QStringLiteral("DELETE"), QStringLiteral("HEAD"),
                        QStringLiteral("OPTIONS")});
    m_url->setPlaceholderText(tr("/path or a full URL"));
    m_url->setObjectName(QStringLiteral("composerUrl"));
    m_send->setObjectName(QStringLiteral("composerSend"));
    m_send->setToolTip(tr("Send (Ctrl+Enter)"));
    m_headers->setPlaceholderText(tr("Name: value, one per line"));
    m_body->setPlaceholderText(tr("Body"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // A long message is cut, not obeyed: the window must never grow past the screen for it.
    m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_status->setObjectName(QStringLiteral("composerStatus"));
    for (auto* view : {m_raw, m_responseHeaders}) {
        view->setReadOnly(true);
        view->setFont(QFont(QStringLiteral("monospace")));
    }
    m_pretty->setFont(QFont(QStringLiteral("monospace")));
    m_pretty->setLineWrapMode(QTextEdit::NoWrap);
    m_preview->setAlignment(Qt::AlignCenter);
    m_pretty->setObjectName(QStringLiteral("composerBody"));
    m_tree->setHeaderLabels({tr("Key"), tr("Value")});
    m_views->addTab(m_pretty, tr("Body"));
    m_views->addTab(m_tree, tr("JSON"));
    m_views->addTab(m_raw, tr("Raw"));
    m_views->addTab(m_preview, tr("Preview"));
    m_views->addTab(m_responseHeaders, tr("Headers"));

    auto* curl = new QToolButton(this);
    curl->setText(tr("cURL"));
    curl->setPopupMode(QToolButton::InstantPopup);
    auto* curlMenu = new QMenu(curl);
    curlMenu->addAction(tr("Import from Clipboard"), this,
                        [this] { importCurl(QApplication::clipboard()->text()); });
    curlMenu->addAction(tr("Copy as cURL"), this,
                        [this] { QApplication::clipboard()->setText(curlCommand()); });
    curl->setMenu(curlMenu);
    auto* history = new QToolButton(this);
    history->setText(tr("History"));
    history->setPopupMode(QToolButton::InstantPopup);
    auto* historyMenu = new QMenu(history);
    connect(historyMenu, &QMenu::aboutToShow, this, [this, historyMenu] {
        historyMenu->clear();
        historyMenu->addAction(tr("Save This Request to requests.http"), this,
                               [this] { Q_EMIT saveToProjectRequested(); });
        historyMenu->addSeparator();
        const auto entries = m_history.entries();
        for (qsizetype i = entries.size() - 1; i >= std::max<qsizetype>(0, entries.size() - 25);
             --i) {
            const HttpFileRequest entry = entries.at(i);
            historyMenu->addAction(QString::fromLatin1(entry.method) + QLatin1Char(' ') +
                                       entry.url + QStringLiteral("   ") + entry.title,
                                   this, [this, entry] {
                                       auto request = resolveRequest({}, entry, {}, {});
                                       if (request) setRequest(*request);
                                   });
        }
        if (historyMenu->isEmpty())
            historyMenu->addAction(tr("(nothing sent yet)"))->setEnabled(false);
    });
    history->setMenu(historyMenu);
    auto* line = new QHBoxLayout;
    line->addWidget(m_method);
    line->addWidget(m_url, 1);
    line->addWidget(m_send);
    line->addWidget(curl);
    line->addWidget(history);
    m_params->setPlaceholderText(tr("name=value, one per line (kept in step with the URL)"));
    m_bodyKind->addItems({tr("Text"), tr("JSON"), tr("Form"), tr("File")});
    m_bodyFile->setPlaceholderText(tr("File to send"));
    auto* browse = new QToolButton(this);
    browse->setText(tr("…"));
    connect(browse, &QToolButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("File to send"));
        if (!path.isEmpty()) m_bodyFile->setText(path);
    });
    auto* bodyPage = new QWidget(this);
    auto* bodyLayout = new QVBoxLayout(bodyPage);
    bodyLayout->setContentsMargins(0, 0, 0, 0);
    auto* kindLine = new QHBoxLayout;
    kindLine->addWidget(m_bodyKind);
    kindLine->addWidget(m_bodyFile, 1);
    kindLine->addWidget(browse);
    bodyLayout->addLayout(kindLine);
    bodyLayout->addWidget(m_body, 1);
    auto showKind = [this, browse] {
        const bool file = m_bodyKind->currentIndex() == int(BodyKind::File);
        m_bodyFile->setVisible(file);
        browse->setVisible(file);
        m_body->setVisible(!file);
    };
    connect(m_bodyKind, &QComboBox::currentIndexChanged, this, showKind);
    showKind();
    // The URL's query and the Params tab are one thing shown twice.
    connect(m_url, &QLineEdit::textChanged, this, [this] {
        if (m_syncing) return;
        m_syncing = true;
        QStringList lines;
        for (const auto& [name, value] :
             QUrlQuery(QUrl(m_url->text())).queryItems(QUrl::FullyDecoded))
            lines.append(name + QLatin1Char('=') + value);
        m_params->setPlainText(lines.join(QLatin1Char('\n')));
        m_syncing = false;
    });
    connect(m_params, &QPlainTextEdit::textChanged, this, [this] {
        if (m_syncing) return;
        m_syncing = true;
        QUrl url(m_url->text());
        QUrlQuery query;
        const QStringList lines = m_params->toPlainText().split(QLatin1Char('\n'));
        for (const QString& line : lines) {
            if (line.trimmed().isEmpty()) continue;
            const qsizetype eq = line.indexOf(QLatin1Char('='));
            query.addQueryItem(eq < 0 ? line.trimmed() : line.left(eq).trimmed(),
                               eq < 0 ? QString() : line.mid(eq + 1));
        }
        url.setQuery(query);
        m_url->setText(url.toString());
        m_syncing = false;
    });
    auto* requestTabs = new QTabWidget(this);
    requestTabs->addTab(bodyPage, tr("Body"));
    requestTabs->addTab(m_params, tr("Params"));
    requestTabs->addTab(m_headers, tr("Headers"));
    auto* response = new QWidget(this);
    auto* responseLayout = new QVBoxLayout(response);
    responseLayout->setContentsMargins(0, 0, 0, 0);
    auto* statusLine = new QHBoxLayout;
    statusLine->addWidget(m_status, 1);
    statusLine->addWidget(m_saveButton);
    m_saveButton->setEnabled(false);
    connect(m_saveButton, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Save the response body"));
        if (!path.isEmpty()) saveBody(path);
    });
    responseLayout->addLayout(statusLine);
    responseLayout->addWidget(m_views, 1);
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(requestTabs);
    split->addWidget(response);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 3);
    split->setSizes({120, 480}); // the answer is what a person reads
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(line);
    layout->addWidget(split, 1);

    connect(m_send, &QPushButton::clicked, this, [this] { sending() ? cancel() : send(); });
    auto* escape = new QShortcut(QKeySequence(Qt::Key_Escape), this);
    escape->setContext(Qt::WidgetWithChildrenShortcut);
    connect(escape, &QShortcut::activated, this, &ComposerPane::cancel);
    connect(m_url, &QLineEdit::returnPressed, this, &ComposerPane::send);
    for (const auto& keys :
         {QKeySequence(Qt::CTRL | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::Key_Enter)}) {
        auto* shortcut = new QShortcut(keys, this);
        shortcut->setContext(Qt::WidgetWithChildrenShortcut);
        connect(shortcut, &QShortcut::activated, this, &ComposerPane::send);
    }
}

void ComposerPane::setBaseUrl(const QString& url) {
    m_baseUrl = url;
    if (m_url->text().isEmpty()) m_url->setPlaceholderText(url + QStringLiteral("/"));
}

void ComposerPane::setRequest(const HttpCallRequest& request) {
    m_method->setCurrentText(QString::fromLatin1(request.method));
    m_url->setText(request.url.toString());
    m_url->setCursorPosition(0); // the start of a long URL is what tells it apart
    QStringList headers;
    for (const auto& [name, value] : request.headers)
        headers.append(QString::fromLatin1(name + ": " + value));
    m_headers->setPlainText(headers.join(QLatin1Char('\n')));
    // Bytes that are not text (an image, a cURL --data-binary) cannot live in the text box
    // without being mangled: they go to a file, sent as they are with the File kind.
    if (BodyText::looksBinary(request.body)) {
        const QString dir = QStandardPaths::writableLocation(QStandardPaths::CacheLocation) +
                            QStringLiteral("/bodies");
        QDir().mkpath(dir);
        const QString path =
            dir + QLatin1Char('/') +
            QString::fromLatin1(
                QCryptographicHash::hash(request.body, QCryptographicHash::Sha1).toHex()) +
            QStringLiteral(".bin");
        QSaveFile file(path);
        if (file.open(QIODevice::WriteOnly) && file.write(request.body) == request.body.size() &&
            file.commit()) {
            m_body->clear();
            m_bodyFile->setText(path);
            m_bodyKind->setCurrentIndex(int(BodyKind::File));
            return;
        }
        m_status->setText(tr("Cannot keep the binary body: %1").arg(file.errorString()));
    }
    m_body->setPlainText(QString::fromUtf8(request.body));
    m_bodyKind->setCurrentIndex(int(BodyKind::Text));
}

HttpCallRequest ComposerPane::request() const {
    auto r = buildRequest();
    return r ? *r : HttpCallRequest();
}

std::expected<HttpCallRequest, QString> ComposerPane::buildRequest() const {
    HttpCallRequest r;
    r.method = m_method->currentText().trimmed().toUpper().toLatin1();
    const QString text = m_url->text().trimmed();
    const QUrl typed(text);
    r.url = typed.isRelative() || text.isEmpty()
                ? QUrl(m_baseUrl + QStringLiteral("/")).resolved(QUrl(text))
                : typed;
    const QStringList lines = m_headers->toPlainText().split(QLatin1Char('\n'));
    for (const QString& line : lines) {
        const qsizetype colon = line.indexOf(QLatin1Char(':'));
        if (colon > 0)
            r.headers.append(
                {line.left(colon).trimmed().toLatin1(), line.mid(colon + 1).trimmed().toUtf8()});
    }
    QByteArray contentType;
    switch (BodyKind(m_bodyKind->currentIndex())) {
    case BodyKind::Text:
        r.body = m_body->toPlainText().toUtf8();
        break;
    case BodyKind::Json:
        r.body = m_body->toPlainText().toUtf8();
        contentType = "application/json";
        break;
    case BodyKind::Form: {
        QUrlQuery form;
        const QStringList fields = m_body->toPlainText().split(QLatin1Char('\n'));
        for (const QString& field : fields) {
            if (field.trimmed().isEmpty()) continue;
            const qsizetype eq = field.indexOf(QLatin1Char('='));
            form.addQueryItem(eq < 0 ? field : field.left(eq),
                              eq < 0 ? QString() : field.mid(eq + 1));
        }
        // QUrlQuery leaves '+' and '&' inside values alone; a form body needs them escaped.
        QStringList pairs;
        for (const auto& [name, value] : form.queryItems(QUrl::FullyDecoded))
            pairs.append(QString::fromLatin1(QUrl::toPercentEncoding(name) + '=' +
                                             QUrl::toPercentEncoding(value)));
        r.body = pairs.join(QLatin1Char('&')).toLatin1();
        contentType = "application/x-www-form-urlencoded";
        break;
    }
    case BodyKind::File: {
        QFile file(m_bodyFile->text());
        if (!file.open(QIODevice::ReadOnly))
            return std::unexpected(
                QStringLiteral("%1: %2").arg(m_bodyFile->text(), file.errorString()));
        r.body = file.readAll();
        contentType = QMimeDatabase().mimeTypeForFile(m_bodyFile->text()).name().toLatin1();
        break;
    }
    }
    const bool hasType = std::any_of(r.headers.begin(), r.headers.end(), [](const auto& h) {
        return h.first.compare("content-type", Qt::CaseInsensitive) == 0;
    });
    if (!contentType.isEmpty() && !hasType)
        r.headers.append({QByteArray("Content-Type"), contentType});
    return r;
}

void ComposerPane::setBodyKind(BodyKind kind) {
    m_bodyKind->setCurrentIndex(int(kind));
}

void ComposerPane::setBodyFile(const QString& path) {
    m_bodyFile->setText(path);
}

void ComposerPane::setParamsText(const QString& text) {
    m_params->setPlainText(text);
}

QString ComposerPane::paramsText() const {
    return m_params->toPlainText();
}

QString ComposerPane::urlText() const {
    return m_url->text();
}

void ComposerPane::cancel() {
    if (m_call) m_call->abort(); // it finishes at once, marked cancelled
}

void ComposerPane::send() {
    delete m_call; // a second send replaces the one in flight
    auto built = buildRequest();
    if (!built) {
        m_status->setText(tr("Not sent: %1").arg(built.error()));
        return;
    }
    m_status->setText(tr("Sending…"));
    m_stream = {};
    const HttpCallRequest sent = *built;
    m_lastRequest = sent;
    m_saveButton->setEnabled(false);
    m_call = new HttpCall(sent, this);
    setSending(true);
    connect(m_call, &HttpCall::progress, this,
            [this](const HttpCallResponse& soFar) { showResponse(soFar, false); });
    connect(m_call, &HttpCall::finished, this, [this, sent](const HttpCallResponse& done) {
        setSending(false);
        showResponse(done, true);
        m_last = done;
        m_saveButton->setEnabled(done.error.isEmpty());
        m_history.append(sent, done.error.isEmpty()
                                   ? QStringLiteral("%1 · %2")
                                         .arg(done.status)
                                         .arg(QDateTime::currentDateTime().toString(Qt::ISODate))
                                   : done.error);
        if (m_call) m_call->deleteLater();
        Q_EMIT responded(done);
    });
}

std::expected<void, QString> ComposerPane::saveToHttpFile(const QString& path,
                                                          const QString& name) const {
    auto built = buildRequest();
    if (!built) return std::unexpected(built.error());
    QFile existing(path);
    HttpFile file;
    if (existing.open(QIODevice::ReadOnly))
        file = HttpFile::parse(QString::fromUtf8(existing.readAll()));
    existing.close();
    HttpFileRequest entry;
    entry.name = name;
    entry.method = built->method;
    // Kept relative to the worker, so the file works on whatever port it runs next time.
    const QString url = built->url.toString();
    entry.url = url.startsWith(m_baseUrl) && !m_baseUrl.isEmpty()
                    ? QStringLiteral("{{host}}") + url.mid(m_baseUrl.size())
                    : url;
    entry.headers = built->headers;
    entry.body = QString::fromUtf8(built->body);
    file.requests.append(entry);
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly) || out.write(file.serialize().toUtf8()) < 0 ||
        !out.commit())
        return std::unexpected(QStringLiteral("%1: %2").arg(path, out.errorString()));
    return {};
}

void ComposerPane::saveBody(const QString& path) {
    delete m_save;
    HttpCallRequest again = m_lastRequest;
    again.saveTo = path;
    m_save = new HttpCall(again, this);
    connect(m_save, &HttpCall::finished, this, [this, path](const HttpCallResponse& r) {
        m_status->setText(r.error.isEmpty() ? tr("Saved %1 to %2").arg(sizeText(r.bodyBytes), path)
                                            : tr("Not saved: %1").arg(r.error));
        if (m_save) m_save->deleteLater();
        Q_EMIT saved(path, r.error);
    });
}

bool ComposerPane::importCurl(const QString& command) {
    auto request = parseCurl(command);
    if (!request) {
        m_status->setText(tr("Cannot import the cURL command: %1").arg(request.error()));
        return false;
    }
    setRequest(*request);
    return true;
}

QString ComposerPane::statusText() const {
    return m_status->text();
}

QString ComposerPane::bodyText() const {
    return m_pretty->toPlainText();
}

QString ComposerPane::bodyHtml() const {
    return m_highlighted ? m_pretty->toHtml() : QString();
}

QSize ComposerPane::previewSize() const {
    return m_preview->pixmap().isNull() ? QSize() : m_preview->pixmap().size();
}

void ComposerPane::showResponse(const HttpCallResponse& r, bool done) {
    if (!r.error.isEmpty()) {
        m_status->setText(tr("Failed: %1").arg(r.error));
        return;
    }
    if (!done) {
        m_status->setText(tr("%1 %2 · receiving… %3")
                              .arg(r.status)
                              .arg(QString::fromLatin1(r.reason))
                              .arg(sizeText(r.bodyBytes)));
        showStreamed(r);
        return; // the other views are filled once: a long stream does not re-lay them out
    }
    if (r.cancelled && r.status == 0) {
        m_status->setText(
            tr("Cancelled before an answer arrived (%1 ms)").arg(r.totalMs, 0, 'f', 1));
        return;
    }
    m_status->setText(tr("%1 %2 · %3 · %4 ms: connect %5%6 · wait %7 · receive %8")
                          .arg(r.status)
                          .arg(QString::fromLatin1(r.reason))
                          .arg(sizeText(r.bodyBytes))
                          .arg(r.totalMs, 0, 'f', 1)
                          .arg(r.connectMs, 0, 'f', 1)
                          .arg(r.tlsMs > 0 ? tr(" · TLS %1").arg(r.tlsMs, 0, 'f', 1) : QString())
                          .arg(r.waitMs, 0, 'f', 1)
                          .arg(r.receiveMs, 0, 'f', 1));
    if (r.cancelled)
        m_status->setText(tr("Cancelled after %1 · %2 %3")
                              .arg(sizeText(r.bodyBytes))
                              .arg(r.status)
                              .arg(QString::fromLatin1(r.reason)));
    QStringList headerLines;
    for (const auto& [name, value] : r.headers)
        headerLines.append(QString::fromLatin1(name) + QStringLiteral(": ") +
                           QString::fromUtf8(value));
    m_responseHeaders->setPlainText(headerLines.join(QLatin1Char('\n')));
    const bool binary = BodyText::looksBinary(r.body, r.header("content-type").toLower());
    // What a text view shows: enough to read, never enough to stall the window.
    const qsizetype shown = binary ? 16 * 1024 : 128 * 1024;
    const QByteArray head = r.body.left(shown);
    const QString note = r.bodyBytes > head.size()
                             ? tr("\n… %1 more not shown").arg(sizeText(r.bodyBytes - head.size()))
                             : QString();
    const QString display = (binary ? BodyText::hexDump(head) : BodyText::displayable(head)) + note;
    m_raw->setPlainText(display);
    m_tree->clear();
    m_highlighted = false;
    m_preview->clear();
    const QByteArray contentType = r.header("content-type").toLower();
    if (contentType.startsWith("image/") && !r.truncated) {
        QPixmap image;
        if (image.loadFromData(r.body)) {
            m_preview->setPixmap(image);
            m_views->setCurrentWidget(m_preview);
        }
    } else if (m_views->currentWidget() == m_preview) {
        m_views->setCurrentWidget(m_pretty);
    }
    QJsonParseError error{};
    const QJsonDocument json = contentType.contains("json") && !r.truncated
                                   ? QJsonDocument::fromJson(r.body, &error)
                                   : QJsonDocument();
    QByteArray shownText = head;
    if (!json.isNull()) {
        shownText = json.toJson(QJsonDocument::Indented);
        m_pretty->setPlainText(QString::fromUtf8(shownText));
        fillTree(m_tree->invisibleRootItem(), QStringLiteral("(root)"),
                 json.isObject() ? QJsonValue(json.object()) : QJsonValue(json.array()));
        m_tree->expandToDepth(1);
    } else {
        m_pretty->setPlainText(display);
    }
    // Colours arrive later, from the highlighter process. Every response asks (an empty
    // syntax for one that gets none), so a slow answer for an older one is dropped.
    const bool whole = !binary && r.bodyBytes <= head.size();
    const QString syntax = whole ? SyntaxPreview::syntaxFor(contentType) : QString();
    const bool dark = palette().color(QPalette::Base).lightness() < 128;
    m_syntax->highlight(syntax, shownText, dark, [this, syntax, shownText](const QString& html) {
        // Without the tool (or when it fails), QScintilla's lexers colour what they know.
        const QString coloured =
            html.isEmpty() && !syntax.isEmpty()
                ? LexerHighlighter::toHtml(syntax, QString::fromUtf8(shownText), palette())
                : html;
        if (coloured.isEmpty()) return;
        m_pretty->setHtml(coloured);
        m_highlighted = true;
    });
}

// Text shows as it arrives (server-sent events, logs, slow chunks), up to the same display
// cap as a finished answer; decoding keeps a character split between pieces whole.
void ComposerPane::showStreamed(const HttpCallResponse& r) {
    constexpr qsizetype kShown = 128 * 1024;
    if (m_stream.shown == 0) {
        if (r.body.isEmpty()) return;
        m_stream.binary = BodyText::looksBinary(r.body, r.header("content-type").toLower());
        m_pretty->clear();
        m_views->setCurrentWidget(m_pretty);
    }
    if (m_stream.binary || m_stream.shown >= kShown || r.body.size() <= m_stream.shown) return;
    const QByteArray piece = r.body.mid(m_stream.shown, kShown - m_stream.shown);
    m_stream.shown += piece.size();
    QTextCursor end(m_pretty->document());
    end.movePosition(QTextCursor::End);
    end.insertText(BodyText::displayable(m_stream.decoder(piece), m_stream.column));
}

// Send turns into Cancel while a call is in flight. Set from send() and the call's finish,
// never from the call's destruction, which also happens while this pane is destroyed.
void ComposerPane::setSending(bool sending) {
    m_send->setText(sending ? tr("Cancel") : tr("Send"));
    m_send->setToolTip(sending ? tr("Cancel the request (Esc)") : tr("Send (Ctrl+Enter)"));
}

} // namespace kiln
