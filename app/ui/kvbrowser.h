#pragma once

#include <QWidget>

#include <memory>
#include <optional>

class QCheckBox;
class QDateTimeEdit;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;

namespace kiln {

class KvKeysModel;
class ValueView;

// One KV namespace in a tab: its keys (prefix filter, search, size, expiration, metadata)
// on the left, the selected key's value on the right (text, pretty JSON, hex or image), with
// its expiration and metadata, all editable. Saving writes through the binding's own store
// code, so the running worker reads the new value at once; deleting asks first. The list
// follows changes made by the worker or a terminal while it is open.
class KvBrowser : public QWidget {
    Q_OBJECT
public:
    // `path` is the namespace's file (StateLayout::kvFile); `title` names it for people.
    KvBrowser(const QString& path, const QString& title, QWidget* parent = nullptr);
    // Over any reader: wrangler's state (KvReader::miniflare) is shown read-only.
    KvBrowser(std::shared_ptr<class KvReader> reader, const QString& title,
              QWidget* parent = nullptr);

    KvKeysModel* model() const { return m_model; }
    QTableView* view() const { return m_view; }
    ValueView* valueView() const { return m_value; }
    // Shows the key (selecting its row when listed) and loads its value.
    void selectKey(const QByteArray& key);
    // The fields hold `key`'s value, expiration and metadata; writes them (a new key when the
    // key field was changed). The outcome goes to the status line and to `saved`.
    void save();
    void newKey();
    void deleteSelected(bool ask = true);
    void replaceFromFile(const QString& path);
    QString statusText() const;
    void refresh();

Q_SIGNALS:
    void saved(const QString& error);

private:
    // `again`: the same key re-read after a change; the fields are left alone if it is equal.
    void showKey(const QByteArray& key, bool again = false);
    void updateStatus();
    std::optional<QByteArray> keyBytes() const;

    KvKeysModel* m_model;
    QTableView* m_view;
    QLineEdit* m_prefix;
    QLineEdit* m_search;
    QLineEdit* m_key;
    ValueView* m_value;
    QCheckBox* m_expires;
    QDateTimeEdit* m_expiration;
    QLineEdit* m_metadata;
    QPushButton* m_save;
    QLabel* m_status;
    QByteArray m_shownKey;       // the bytes of the key the fields were loaded from
    bool m_fieldsEdited = false; // the person changed expiration or metadata: not refreshed
    bool m_filling = false;      // the fields are being set from the store, not by the person
    std::optional<QByteArray> m_replacement; // a file's bytes waiting to be saved
};

} // namespace kiln
