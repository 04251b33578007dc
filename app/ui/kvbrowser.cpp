#include "kvbrowser.h"

#include "compactrows.h"
#include "kvkeysmodel.h"
#include "stores/kvreader.h"
#include "valueview.h"

#include <QCheckBox>
#include <QDateTimeEdit>
#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QShortcut>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace kiln {

KvBrowser::KvBrowser(const QString& path, const QString& title, QWidget* parent)
    : KvBrowser(std::make_shared<KvReader>(path), title, parent) {}

KvBrowser::KvBrowser(std::shared_ptr<KvReader> reader, const QString& title, QWidget* parent)
    : QWidget(parent)
    , m_model(new KvKeysModel(std::move(reader), this))
    , m_view(new QTableView(this))
    , m_prefix(new QLineEdit(this))
    , m_search(new QLineEdit(this))
    , m_key(new QLineEdit(this))
    , m_value(new ValueView(this))
    , m_expires(new QCheckBox(tr("Expires"), this))
    , m_expiration(new QDateTimeEdit(this))
    , m_metadata(new QLineEdit(this))
    , m_save(new QPushButton(tr("Save"), this))
    , m_status(new QLabel(this)) {
    setObjectName(QStringLiteral("kvBrowser"));
    setWindowTitle(title);
    m_prefix->setPlaceholderText(tr("Prefix"));
    m_search->setPlaceholderText(tr("Search keys"));
    for (auto* edit : {m_prefix, m_search})
        edit->setClearButtonEnabled(true);
    m_view->setModel(m_model);
    compactRows(m_view, true);
    m_view->setColumnWidth(KvKeysModel::KeyColumn, 200);
    m_view->setColumnWidth(KvKeysModel::SizeColumn, 70);
    m_view->setColumnWidth(KvKeysModel::ExpirationColumn, 150);
    m_key->setPlaceholderText(tr("Key"));
    m_key->setObjectName(QStringLiteral("kvKey"));
    m_expiration->setCalendarPopup(true);
    m_expiration->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    m_expiration->setEnabled(false);
    m_metadata->setPlaceholderText(tr("Metadata as JSON (up to 1024 bytes)"));
    m_metadata->setObjectName(QStringLiteral("kvMetadata"));
    m_save->setShortcut(QKeySequence::Save);
    m_save->setToolTip(tr("Write this key (Ctrl+S)"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // A long message is cut, not obeyed: the window must never grow past the screen for it.
    m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_status->setObjectName(QStringLiteral("kvStatus"));

    auto* newButton = new QPushButton(tr("New Key"), this);
    auto* deleteButton = new QPushButton(tr("Delete"), this);
    auto* fromFile = new QPushButton(tr("Replace from File…"), this);
    deleteButton->setToolTip(tr("Delete the selected keys (Del)"));
    auto* bar = new QHBoxLayout;
    bar->addWidget(m_prefix, 1);
    bar->addWidget(m_search, 1);
    bar->addWidget(newButton);
    bar->addWidget(deleteButton);

    auto* detail = new QWidget(this);
    auto* form = new QFormLayout;
    form->addRow(tr("Key"), m_key);
    auto* expiry = new QHBoxLayout;
    expiry->addWidget(m_expires);
    expiry->addWidget(m_expiration, 1);
    form->addRow(tr("Expiration"), expiry);
    form->addRow(tr("Metadata"), m_metadata);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(fromFile);
    buttons->addStretch(1);
    buttons->addWidget(m_save);
    auto* detailLayout = new QVBoxLayout(detail);
    detailLayout->setContentsMargins(0, 0, 0, 0);
    detailLayout->addLayout(form);
    detailLayout->addWidget(m_value, 1);
    detailLayout->addLayout(buttons);

    auto* split = new QSplitter(this);
    split->addWidget(m_view);
    split->addWidget(detail);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(bar);
    layout->addWidget(split, 1);
    layout->addWidget(m_status);

    // Typing narrows the listing after a short pause, not at every key press.
    auto* debounce = new QTimer(this);
    debounce->setSingleShot(true);
    debounce->setInterval(200);
    connect(debounce, &QTimer::timeout, this,
            [this] { m_model->setFilter(m_prefix->text().toUtf8(), m_search->text().toUtf8()); });
    for (auto* edit : {m_prefix, m_search})
        connect(edit, &QLineEdit::textChanged, debounce, qOverload<>(&QTimer::start));
    connect(m_model, &KvKeysModel::loaded, this, &KvBrowser::updateStatus);
    // The store changed (the worker, a terminal): the shown value is read again, unless the
    // person is editing it. A same-sized change alters no listed column, so every listing
    // that followed a change triggers this, not only changed rows.
    connect(m_model, &KvKeysModel::loaded, this, [this] {
        if (!m_shownKey.isNull() && !m_value->isModified() && !m_replacement && !m_fieldsEdited)
            showKey(m_shownKey, true);
    });
    const auto edited = [this] {
        if (!m_filling) m_fieldsEdited = true;
    };
    connect(m_metadata, &QLineEdit::textChanged, this, edited);
    connect(m_expires, &QCheckBox::toggled, this, edited);
    connect(m_expiration, &QDateTimeEdit::dateTimeChanged, this, edited);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) {
                if (current.isValid())
                    showKey(
                        current.siblingAtColumn(0).data(KvKeysModel::KeyBytesRole).toByteArray());
            });
    connect(m_expires, &QCheckBox::toggled, m_expiration, &QWidget::setEnabled);
    connect(m_save, &QPushButton::clicked, this, &KvBrowser::save);
    connect(newButton, &QPushButton::clicked, this, &KvBrowser::newKey);
    connect(deleteButton, &QPushButton::clicked, this, [this] { deleteSelected(true); });
    auto* del = new QShortcut(QKeySequence::Delete, m_view);
    del->setContext(Qt::WidgetShortcut);
    connect(del, &QShortcut::activated, this, [this] { deleteSelected(true); });
    if (m_model->readOnly()) { // wrangler's state: looked at, never written
        for (QWidget* w :
             std::initializer_list<QWidget*>{newButton, deleteButton, fromFile, m_save})
            w->hide();
        for (QLineEdit* e : {m_key, m_metadata})
            e->setReadOnly(true);
        m_expires->setEnabled(false);
        m_value->setReadOnly(true);
        del->setEnabled(false);
    }
    connect(fromFile, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getOpenFileName(this, tr("Replace the value from"));
        if (!file.isEmpty()) replaceFromFile(file);
    });
}

void KvBrowser::refresh() {
    m_model->refresh();
}

void KvBrowser::updateStatus() {
    if (m_model->missing()) {
        m_status->setText(
            tr("No data yet: the file is made by the first write (%1)").arg(m_model->path()));
    } else if (!m_model->error().isEmpty()) {
        m_status->setText(tr("Cannot read: %1").arg(m_model->error()));
    } else {
        m_status->setText((m_model->canFetchMore({})
                               ? tr("%n key(s) shown, more below", nullptr, m_model->rowCount())
                               : tr("%n key(s)", nullptr, m_model->rowCount())) +
                          (m_model->readOnly() ? tr(" · wrangler's state, read-only (File > Import "
                                                    "Wrangler State to edit it in Kiln)")
                                               : QString()));
    }
}

QString KvBrowser::statusText() const {
    return m_status->text();
}

void KvBrowser::selectKey(const QByteArray& key) {
    for (int row = 0; row < m_model->rowCount(); ++row) {
        if (m_model->row(row).name == key) {
            m_view->selectRow(row);
            m_view->scrollTo(m_model->index(row, 0));
            break;
        }
    }
    showKey(key);
}

void KvBrowser::showKey(const QByteArray& key, bool again) {
    m_shownKey = key;
    m_replacement.reset();
    if (!again) {
        m_key->setText(KvKeysModel::displayKey(key));
        m_fieldsEdited = false;
    }
    m_model->loadValue(
        key, [this, key, again](std::expected<std::optional<KvEntry>, StoreError> entry) {
            if (key != m_shownKey || (again && (m_value->isModified() || m_fieldsEdited)))
                return; // moved on, or the person started editing meanwhile
            if (!entry) {
                m_value->clear();
                m_status->setText(tr("Cannot read the value: %1").arg(entry.error().message));
                return;
            }
            if (!*entry) {
                m_value->clear();
                m_status->setText(tr("The key is gone (deleted or expired)"));
                return;
            }
            const KvEntry& e = **entry;
            if (!again || e.value != m_value->value())
                m_value->setValue(e.value); // keeps the scroll
            m_filling = true;
            m_expires->setChecked(e.expiration.has_value());
            m_expiration->setDateTime(e.expiration ? QDateTime::fromSecsSinceEpoch(*e.expiration)
                                                   : QDateTime::currentDateTime().addSecs(3600));
            m_metadata->setText(QString::fromUtf8(e.metadata));
            m_filling = false;
        });
}

void KvBrowser::newKey() {
    m_view->clearSelection();
    m_shownKey.clear();
    m_replacement.reset();
    m_key->clear();
    m_value->clear();
    m_filling = true;
    m_expires->setChecked(false);
    m_expiration->setDateTime(QDateTime::currentDateTime().addSecs(3600));
    m_metadata->clear();
    m_filling = false;
    m_fieldsEdited = false;
    m_key->setFocus();
}

// The key field shows non-text keys escaped; left as shown, it means the original bytes.
std::optional<QByteArray> KvBrowser::keyBytes() const {
    if (!m_shownKey.isNull() && m_key->text() == KvKeysModel::displayKey(m_shownKey))
        return m_shownKey;
    if (m_key->text().isEmpty()) return std::nullopt;
    return m_key->text().toUtf8();
}

void KvBrowser::replaceFromFile(const QString& path) {
    QFile file(path);
    // KV values are at most 25 MiB: a larger file is refused before it is read.
    if (file.size() > 25 * 1024 * 1024) {
        m_status->setText(tr("%1 is larger than KV's 25 MiB value limit").arg(path));
        return;
    }
    if (!file.open(QIODevice::ReadOnly)) {
        m_status->setText(tr("Cannot read %1: %2").arg(path, file.errorString()));
        return;
    }
    m_replacement = file.readAll();
    m_value->setValue(*m_replacement);
    m_status->setText(tr("Loaded %1; Save writes it").arg(path));
}

void KvBrowser::save() {
    const auto key = keyBytes();
    if (!key) {
        m_status->setText(tr("Give the key a name first"));
        Q_EMIT saved(m_status->text());
        return;
    }
    const QByteArray metadata = m_metadata->text().trimmed().toUtf8();
    if (!metadata.isEmpty()) {
        QJsonParseError error{};
        QJsonDocument::fromJson(metadata, &error);
        if (error.error != QJsonParseError::NoError) {
            m_status->setText(tr("Metadata is not JSON: %1 at offset %2")
                                  .arg(error.errorString())
                                  .arg(error.offset));
            Q_EMIT saved(m_status->text());
            return;
        }
    }
    const QByteArray value = m_replacement ? *m_replacement : m_value->value();
    const std::optional<qint64> expiration =
        m_expires->isChecked() ? std::optional<qint64>(m_expiration->dateTime().toSecsSinceEpoch())
                               : std::nullopt;
    m_save->setEnabled(false);
    m_model->put(*key, value, expiration, metadata, [this, key = *key](const QString& error) {
        m_save->setEnabled(true);
        if (error.isEmpty()) {
            m_status->setText(tr("Saved %1").arg(KvKeysModel::displayKey(key)));
            m_shownKey = key;
            m_replacement.reset();
            m_fieldsEdited = false;
            m_value->setValue(m_value->value());
        } else {
            m_status->setText(tr("Not saved: %1").arg(error));
        }
        Q_EMIT saved(error);
    });
}

void KvBrowser::deleteSelected(bool ask) {
    QList<QByteArray> keys;
    for (const QModelIndex& row : m_view->selectionModel()->selectedRows())
        keys.append(row.data(KvKeysModel::KeyBytesRole).toByteArray());
    if (keys.isEmpty()) return;
    if (ask && QMessageBox::question(
                   this, tr("Delete keys"),
                   keys.size() == 1
                       ? tr("Delete %1?").arg(KvKeysModel::displayKey(keys.first()))
                       : tr("Delete %n keys?", nullptr, int(keys.size()))) != QMessageBox::Yes)
        return;
    m_model->remove(keys, [this, count = keys.size()](const QString& error) {
        m_status->setText(error.isEmpty() ? tr("Deleted %n key(s)", nullptr, int(count))
                                          : tr("Not deleted: %1").arg(error));
    });
}

} // namespace kiln
