#include "valueview.h"

#include "sizetext.h"

#include "bodytext.h"

#include <QFontDatabase>
#include <QJsonDocument>
#include <QLabel>
#include <QLocale>
#include <QPixmap>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <QTabWidget>
#include <QVBoxLayout>

namespace kiln {

ValueView::ValueView(QWidget* parent)
    : QWidget(parent)
    , m_tabs(new QTabWidget(this))
    , m_text(new QPlainTextEdit(this))
    , m_json(new QPlainTextEdit(this))
    , m_hex(new QPlainTextEdit(this))
    , m_image(new QLabel(this))
    , m_note(new QLabel(this)) {
    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    for (auto* view : {m_text, m_json, m_hex}) {
        view->setFont(mono);
        view->setLineWrapMode(QPlainTextEdit::NoWrap);
    }
    m_json->setReadOnly(true);
    m_hex->setReadOnly(true);
    m_text->setObjectName(QStringLiteral("valueText"));
    m_image->setAlignment(Qt::AlignCenter);
    auto* scroll = new QScrollArea(this);
    scroll->setWidget(m_image);
    scroll->setWidgetResizable(true);
    m_tabs->addTab(m_text, tr("Text"));
    m_tabs->addTab(m_json, tr("JSON"));
    m_tabs->addTab(m_hex, tr("Hex"));
    m_tabs->addTab(scroll, tr("Image"));
    m_note->setWordWrap(true);
    m_note->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_tabs, 1);
    layout->addWidget(m_note);
    connect(m_text, &QPlainTextEdit::modificationChanged, this, [this](bool changed) {
        if (changed) Q_EMIT modified();
    });
    clear();
}

void ValueView::clear() {
    m_original.clear();
    m_text->clear();
    m_json->clear();
    m_hex->clear();
    m_image->clear();
    m_note->clear();
    m_editable = true;
    m_text->setReadOnly(m_readOnly);
    m_text->document()->setModified(false);
    m_tabs->setCurrentWidget(m_text);
}

void ValueView::setValue(const QByteArray& bytes, const QByteArray& contentType) {
    clear();
    m_original = bytes;
    const bool binary = BodyText::looksBinary(bytes, contentType);
    const bool large = bytes.size() > kMaxEditableBytes;
    m_editable = !binary && !large;
    m_hex->setPlainText(BodyText::hexDump(bytes.left(64 * 1024)) +
                        (bytes.size() > 64 * 1024 ? tr("… first 64 KB shown") : QString()));
    QPixmap image;
    if (binary && image.loadFromData(bytes)) {
        m_image->setPixmap(image);
        m_tabs->setCurrentIndex(3);
        m_note->setText(tr("%1 × %2 image, %3")
                            .arg(image.width())
                            .arg(image.height())
                            .arg(sizeText(bytes.size())));
    } else if (binary) {
        m_tabs->setCurrentWidget(m_hex);
        m_note->setText(tr("Binary, %1: shown as hex. Replace it from a file to change it.")
                            .arg(sizeText(bytes.size())));
    }
    if (!binary) {
        m_text->setPlainText(large ? BodyText::displayable(bytes.left(kMaxEditableBytes))
                                   : QString::fromUtf8(bytes));
        m_text->document()->setModified(false);
        const QJsonDocument json = large ? QJsonDocument() : QJsonDocument::fromJson(bytes);
        if (!json.isNull()) {
            m_json->setPlainText(QString::fromUtf8(json.toJson(QJsonDocument::Indented)));
            m_tabs->setCurrentWidget(m_json);
        }
        if (large)
            m_note->setText(tr("%1: too large to edit here; the first 1 MB is shown. Replace it "
                               "from a file to change it.")
                                .arg(sizeText(bytes.size())));
    }
    m_text->setReadOnly(m_readOnly || !m_editable);
}

QByteArray ValueView::value() const {
    return isModified() ? m_text->toPlainText().toUtf8() : m_original;
}

bool ValueView::isModified() const {
    return m_editable && m_text->document()->isModified();
}

void ValueView::setReadOnly(bool readOnly) {
    m_readOnly = readOnly;
    m_text->setReadOnly(m_readOnly || !m_editable);
}

QString ValueView::shownTab() const {
    return m_tabs->tabText(m_tabs->currentIndex());
}

QString ValueView::text() const {
    return m_text->toPlainText();
}

void ValueView::setText(const QString& text) {
    if (!m_editable) return;
    m_text->setPlainText(text);
    m_text->document()->setModified(true);
    m_tabs->setCurrentWidget(m_text);
}

} // namespace kiln
