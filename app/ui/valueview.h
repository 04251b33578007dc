#pragma once

#include <QByteArray>
#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QTabWidget;

namespace kiln {

// Shows one stored value (a KV value, an R2 object, a BLOB cell) the way its content asks:
// text (editable), pretty JSON, a hex dump, or an image, the fitting tab chosen on load. A
// binary value or one too large to edit as text is shown read-only; value() then gives the
// original bytes back untouched, so looking at a value never changes it.
class ValueView : public QWidget {
    Q_OBJECT
public:
    explicit ValueView(QWidget* parent = nullptr);

    void setValue(const QByteArray& bytes, const QByteArray& contentType = {});
    void clear();
    // The bytes to store: the edited text as UTF-8 when it was edited, else the original.
    QByteArray value() const;
    bool isModified() const;
    bool isEditable() const { return m_editable; }
    void setReadOnly(bool readOnly);
    QString shownTab() const; // "Text", "JSON", "Hex" or "Image"
    QString text() const;     // what the Text tab holds
    void setText(const QString& text);

    static constexpr qsizetype kMaxEditableBytes = 1 << 20;

Q_SIGNALS:
    void modified();

private:
    QTabWidget* m_tabs;
    QPlainTextEdit* m_text;
    QPlainTextEdit* m_json;
    QPlainTextEdit* m_hex;
    QLabel* m_image;
    QLabel* m_note;
    QByteArray m_original;
    bool m_editable = true;
    bool m_readOnly = false;
};

} // namespace kiln
