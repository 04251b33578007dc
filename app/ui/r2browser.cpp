#include "r2browser.h"

#include "sizetext.h"

#include "compactrows.h"
#include "r2objectsmodel.h"
#include "r2transfer.h"
#include "storeloader.h"
#include "stores/r2reader.h"
#include "valueview.h"

#include <QCheckBox>
#include <QDateTime>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QMimeData>
#include <QMimeDatabase>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

namespace kiln {

namespace {

constexpr qint64 kPreviewBytes = 4 << 20;

} // namespace

R2Browser::R2Browser(const QString& bucketDir, const QString& title, QWidget* parent)
    : R2Browser(std::make_shared<R2Reader>(bucketDir), title, parent) {}

R2Browser::R2Browser(std::shared_ptr<R2Reader> reader, const QString& title, QWidget* parent)
    : QWidget(parent)
    , m_dir(reader->dir())
    , m_model(new R2ObjectsModel(reader, this))
    , m_view(new QTableView(this))
    , m_crumbs(new QHBoxLayout)
    , m_flat(new QCheckBox(tr("Flat"), this))
    , m_details(new QPlainTextEdit(this))
    , m_preview(new ValueView(this))
    , m_progress(new QProgressBar(this))
    , m_cancel(new QPushButton(tr("Cancel"), this))
    , m_status(new QLabel(this))
    , m_transfer(new R2Transfer(m_dir, this))
    , m_loader(std::make_unique<StoreLoader>()) {
    setObjectName(QStringLiteral("r2Browser"));
    setWindowTitle(title);
    setAcceptDrops(true);
    m_view->setModel(m_model);
    compactRows(m_view, true);
    m_view->setColumnWidth(R2ObjectsModel::NameColumn, 220);
    m_view->setColumnWidth(R2ObjectsModel::UploadedColumn, 140);
    m_details->setReadOnly(true);
    m_details->setMaximumHeight(120);
    m_details->setFont(QFont(QStringLiteral("monospace")));
    m_preview->setReadOnly(true);
    m_progress->setVisible(false);
    m_cancel->setVisible(false);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // A long message is cut, not obeyed: the window must never grow past the screen for it.
    m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_status->setObjectName(QStringLiteral("r2Status"));
    m_flat->setToolTip(tr("Every key under this folder, not grouped at /"));

    // Tool buttons, not push buttons: six of them must fit beside the breadcrumbs at 1366 px
    // with the docks open.
    const auto tool = [this](const QString& text, const QString& tip) {
        auto* b = new QToolButton(this);
        b->setText(text);
        b->setToolTip(tip);
        return b;
    };
    auto* upload =
        tool(tr("Upload…"), tr("Upload files into this folder (or drop them on the list)"));
    auto* folder = tool(tr("New Folder…"),
                        tr("Open a new key prefix; it exists once something is uploaded into it"));
    auto* download = tool(tr("Download…"), tr("Download the selected objects into a folder"));
    auto* remove = tool(tr("Delete"), tr("Delete the selected objects"));
    auto* pending = tool(tr("Uploads"), tr("Multipart uploads in progress, to abort"));
    // Actions on one row, where the folder is on another: a deep path must not widen the
    // window past a laptop's screen.
    auto* crumbs = new QHBoxLayout;
    crumbs->addLayout(m_crumbs);
    crumbs->addStretch(1);
    auto* bar = new QHBoxLayout;
    for (auto* b : {upload, folder, download, remove, pending})
        bar->addWidget(b);
    bar->addStretch(1);
    bar->addWidget(m_flat);
    auto* right = new QWidget(this);
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(m_details);
    rightLayout->addWidget(m_preview, 1);
    auto* split = new QSplitter(this);
    split->addWidget(m_view);
    split->addWidget(right);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto* transfers = new QHBoxLayout;
    transfers->addWidget(m_status, 1);
    transfers->addWidget(m_progress);
    transfers->addWidget(m_cancel);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(bar);
    layout->addLayout(crumbs);
    layout->addWidget(split, 1);
    layout->addLayout(transfers);

    if (m_model->readOnly()) { // wrangler's state: looked at and downloaded, never written
        m_transfer->setReader(m_model->reader());
        setAcceptDrops(false);
        for (QWidget* w : std::initializer_list<QWidget*>{upload, folder, remove, pending})
            w->hide();
    }
    connect(m_model, &R2ObjectsModel::loaded, this, [this] {
        if (m_busy) return;
        if (m_model->missing())
            setStatus(tr("No data yet: the bucket is made by the first write"));
        else if (!m_model->error().isEmpty())
            setStatus(tr("Cannot read: %1").arg(m_model->error()));
        else if (m_errors.isEmpty() && m_model->readOnly())
            setStatus(tr("%n item(s) · wrangler's state, read-only (File > Import Wrangler State "
                         "to edit it in Kiln)",
                         nullptr, m_model->rowCount()));
        else if (m_errors.isEmpty())
            setStatus(m_model->canFetchMore({})
                          ? tr("%n item(s) shown, more below", nullptr, m_model->rowCount())
                          : tr("%n item(s)", nullptr, m_model->rowCount()));
    });
    connect(m_view, &QAbstractItemView::activated, this, [this](const QModelIndex& index) {
        if (index.data(R2ObjectsModel::IsFolderRole).toBool())
            enterFolder(index.siblingAtColumn(0).data(R2ObjectsModel::KeyRole).toByteArray());
    });
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &R2Browser::showObject);
    connect(m_flat, &QCheckBox::toggled, m_model, &R2ObjectsModel::setFlat);
    connect(upload, &QToolButton::clicked, this, [this] {
        const QStringList files =
            QFileDialog::getOpenFileNames(this, tr("Upload to %1").arg(windowTitle()));
        if (files.isEmpty()) return;
        QDialog ask(this);
        ask.setWindowTitle(tr("Upload %n file(s)", nullptr, int(files.size())));
        auto* type = new QLineEdit(
            files.size() == 1 ? QMimeDatabase().mimeTypeForFile(files.first()).name() : QString(),
            &ask);
        type->setPlaceholderText(tr("guessed from each file's name"));
        auto* custom = new QLineEdit(QStringLiteral("{}"), &ask);
        auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &ask);
        connect(buttons, &QDialogButtonBox::accepted, &ask, &QDialog::accept);
        connect(buttons, &QDialogButtonBox::rejected, &ask, &QDialog::reject);
        auto* form = new QFormLayout(&ask);
        form->addRow(tr("Content type"), type);
        form->addRow(tr("Custom metadata (JSON)"), custom);
        form->addRow(buttons);
        if (ask.exec() != QDialog::Accepted) return;
        uploadFiles(files, type->text().toUtf8(), custom->text().toUtf8());
    });
    connect(folder, &QToolButton::clicked, this, [this] {
        // R2 has no folders: one is a key prefix, here until something is uploaded into it.
        const QString name = QInputDialog::getText(this, tr("New folder"), tr("Folder name:"));
        if (!name.trimmed().isEmpty())
            enterFolder(m_model->prefix() + name.trimmed().toUtf8() + '/');
    });
    connect(download, &QToolButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Download into"));
        if (!dir.isEmpty()) downloadSelected(dir);
    });
    connect(remove, &QToolButton::clicked, this, [this] { deleteSelected(true); });
    connect(pending, &QToolButton::clicked, this, &R2Browser::showPendingUploads);
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        m_queue.clear();
        m_transfer->cancel();
    });
    connect(m_transfer, &R2Transfer::progress, this, [this](qint64 done, qint64 total) {
        m_progress->setRange(0, 1000);
        m_progress->setValue(total > 0 ? int(done * 1000 / total) : 0);
        m_progress->setFormat(tr("%1 of %2").arg(sizeText(done), sizeText(total)));
    });
    connect(m_transfer, &R2Transfer::finished, this, [this](const QString& error) {
        if (!error.isEmpty()) m_errors << error;
        m_busy = false;
        next();
    });
    updateCrumbs();
}

R2Browser::~R2Browser() = default;

QString R2Browser::statusText() const {
    return m_status->text();
}

QString R2Browser::details() const {
    return m_details->toPlainText();
}

void R2Browser::setStatus(const QString& text) {
    m_status->setText(text);
}

QStringList R2Browser::breadcrumbs() const {
    QStringList out{windowTitle()};
    for (const QByteArray& part : m_model->prefix().split('/'))
        if (!part.isEmpty()) out << QString::fromUtf8(part);
    return out;
}

void R2Browser::enterFolder(const QByteArray& prefix) {
    m_model->setPrefix(prefix);
    updateCrumbs();
}

void R2Browser::updateCrumbs() {
    while (QLayoutItem* item = m_crumbs->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    QByteArray prefix;
    const QStringList parts = breadcrumbs();
    for (int i = 0; i < parts.size(); ++i) {
        if (i > 0) prefix += parts.at(i).toUtf8() + '/';
        auto* crumb = new QToolButton(this);
        crumb->setText(parts.at(i));
        crumb->setAutoRaise(true);
        crumb->setEnabled(i + 1 < parts.size());
        connect(crumb, &QToolButton::clicked, this, [this, prefix] { enterFolder(prefix); });
        m_crumbs->addWidget(crumb);
        if (i + 1 < parts.size()) m_crumbs->addWidget(new QLabel(QStringLiteral("/"), this));
    }
}

void R2Browser::showObject(const QModelIndex& index) {
    m_preview->clear();
    m_details->clear();
    if (!index.isValid() || index.data(R2ObjectsModel::IsFolderRole).toBool()) return;
    const R2ObjectInfo& info = m_model->entry(index.row()).info;
    m_shown = info.key;
    m_details->setPlainText(
        tr("key: %1\nsize: %2 (%3 bytes)\netag: %4\nuploaded: %5\nhttpMetadata: "
           "%6\ncustomMetadata: %7")
            .arg(QString::fromUtf8(info.key), sizeText(info.size))
            .arg(info.size)
            .arg(info.etag,
                 QDateTime::fromMSecsSinceEpoch(info.uploadedMs).toString(Qt::ISODateWithMs),
                 QString::fromUtf8(info.httpMetadata), QString::fromUtf8(info.customMetadata)));
    if (info.size > kPreviewBytes) {
        m_preview->setValue({});
        return;
    }
    const QByteArray type = R2ObjectsModel::contentType(info).toUtf8();
    m_loader->run<std::expected<std::optional<QByteArray>, StoreError>>(
        [reader = m_model->reader(), key = info.key] {
            return reader->read(key, 0, kPreviewBytes);
        },
        [this, key = info.key, type](std::expected<std::optional<QByteArray>, StoreError> bytes) {
            if (key != m_shown) return;
            if (bytes && *bytes) m_preview->setValue(**bytes, type);
        });
}

void R2Browser::uploadFiles(const QStringList& files, const QByteArray& contentType,
                            const QByteArray& customMetadata) {
    const QByteArray prefix = m_model->prefix();
    for (const QString& file : files) {
        const QByteArray type = contentType.isEmpty()
                                    ? QMimeDatabase().mimeTypeForFile(file).name().toUtf8()
                                    : contentType;
        const QByteArray http =
            QJsonDocument(QJsonObject{{QStringLiteral("contentType"), QString::fromUtf8(type)}})
                .toJson(QJsonDocument::Compact);
        const QByteArray key = prefix + QFileInfo(file).fileName().toUtf8();
        m_queue.push_back([this, file, key, http, customMetadata] {
            setStatus(tr("Uploading %1…").arg(QString::fromUtf8(key)));
            m_transfer->upload(file, key, http, customMetadata);
        });
    }
    next();
}

void R2Browser::downloadSelected(const QString& dir) {
    for (const QModelIndex& row : m_view->selectionModel()->selectedRows()) {
        if (row.data(R2ObjectsModel::IsFolderRole).toBool()) continue;
        const QByteArray key = row.data(R2ObjectsModel::KeyRole).toByteArray();
        // The file is named by the key's last part; a key is never a path on this disk.
        QString name = QString::fromUtf8(key.mid(key.lastIndexOf('/') + 1));
        name.replace(QLatin1Char('\0'), QLatin1Char('_'));
        if (name.isEmpty() || name == QLatin1String(".") || name == QLatin1String(".."))
            name = QStringLiteral("object");
        const QString path = QDir(dir).filePath(name);
        m_queue.push_back([this, key, path] {
            setStatus(tr("Downloading %1…").arg(QString::fromUtf8(key)));
            m_transfer->download(key, path);
        });
    }
    next();
}

void R2Browser::deleteSelected(bool ask) {
    QList<QByteArray> keys;
    for (const QModelIndex& row : m_view->selectionModel()->selectedRows())
        if (!row.data(R2ObjectsModel::IsFolderRole).toBool())
            keys << row.data(R2ObjectsModel::KeyRole).toByteArray();
    if (keys.isEmpty()) return;
    if (ask && QMessageBox::question(this, tr("Delete objects"),
                                     tr("Delete %n object(s)?", nullptr, int(keys.size()))) !=
                   QMessageBox::Yes)
        return;
    m_queue.push_back([this, keys] {
        setStatus(tr("Deleting %n object(s)…", nullptr, int(keys.size())));
        m_transfer->remove(keys);
    });
    next();
}

void R2Browser::next() {
    if (m_busy) return;
    if (m_queue.empty()) {
        m_progress->setVisible(false);
        m_cancel->setVisible(false);
        setStatus(m_errors.isEmpty() ? tr("Done")
                                     : tr("Failed: %1").arg(m_errors.join(QStringLiteral("; "))));
        m_errors.clear();
        m_model->refresh();
        Q_EMIT idle();
        return;
    }
    m_busy = true;
    m_progress->setVisible(true);
    m_progress->setRange(0, 0); // busy until the first progress report
    m_cancel->setVisible(true);
    auto job = std::move(m_queue.front());
    m_queue.erase(m_queue.begin());
    job();
}

void R2Browser::showPendingUploads() {
    m_loader->run<std::expected<std::vector<R2PendingUpload>, StoreError>>(
        [reader = m_model->reader()] { return reader->uploads(); },
        [this](std::expected<std::vector<R2PendingUpload>, StoreError> uploads) {
            if (!uploads)
                return setStatus(tr("Cannot list uploads: %1").arg(uploads.error().message));
            if (uploads->empty()) return setStatus(tr("No multipart upload is in progress"));
            QStringList items;
            for (const R2PendingUpload& u : *uploads)
                items << tr("%1 · %n part(s), %2 · started %3 · %4", nullptr, u.parts)
                             .arg(QString::fromUtf8(u.key), sizeText(u.bytes),
                                  QDateTime::fromMSecsSinceEpoch(u.createdMs).toString(Qt::ISODate),
                                  u.uploadId);
            bool ok = false;
            const QString pick = QInputDialog::getItem(
                this, tr("Pending uploads"), tr("Abort which upload?"), items, 0, false, &ok);
            if (!ok) return;
            const R2PendingUpload& chosen = (*uploads)[size_t(items.indexOf(pick))];
            m_queue.push_back([this, key = chosen.key, id = chosen.uploadId] {
                setStatus(tr("Aborting the upload of %1…").arg(QString::fromUtf8(key)));
                m_transfer->abortUpload(key, id);
            });
            next();
        });
}

void R2Browser::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void R2Browser::dropEvent(QDropEvent* event) {
    QStringList files;
    for (const QUrl& url : event->mimeData()->urls())
        if (url.isLocalFile() && QFileInfo(url.toLocalFile()).isFile()) files << url.toLocalFile();
    if (files.isEmpty()) return;
    event->acceptProposedAction();
    uploadFiles(files);
}

} // namespace kiln
