#pragma once

#include <QWidget>

#include <memory>

class QCheckBox;
class QHBoxLayout;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QTableView;

namespace kiln {

class R2ObjectsModel;
class R2Transfer;
class StoreLoader;
class ValueView;

// One R2 bucket in a tab: objects by folder (breadcrumbs to climb back) or flat, with size,
// type, upload time, etag and custom metadata; the selected object's metadata and a preview
// (image, text, JSON); upload by file dialog (content type and custom metadata asked for) or
// by dropping files on the list, download, multi-select delete and download, all streamed
// with a progress bar and Cancel; unfinished multipart uploads listed and abortable.
class R2Browser : public QWidget {
    Q_OBJECT
public:
    R2Browser(const QString& bucketDir, const QString& title, QWidget* parent = nullptr);
    // Over any reader: wrangler's state (R2Reader::miniflare) is shown read-only (downloads
    // still work).
    R2Browser(std::shared_ptr<class R2Reader> reader, const QString& title,
              QWidget* parent = nullptr);
    ~R2Browser() override;

    R2ObjectsModel* model() const { return m_model; }
    QTableView* view() const { return m_view; }
    ValueView* preview() const { return m_preview; }
    QString details() const;
    QString statusText() const;
    QStringList breadcrumbs() const;
    void enterFolder(const QByteArray& prefix);
    // Queues uploads of `files` into the folder shown (keys: folder + file name).
    void uploadFiles(const QStringList& files, const QByteArray& contentType = {},
                     const QByteArray& customMetadata = "{}");
    // Queues downloads of the selected objects into `dir`.
    void downloadSelected(const QString& dir);
    void deleteSelected(bool ask = true);
    // The unfinished multipart uploads, as text lines (key, parts, bytes, id).
    void showPendingUploads();

Q_SIGNALS:
    void idle(); // every queued transfer finished (or failed: see statusText())

protected:
    void dragEnterEvent(class QDragEnterEvent* event) override;
    void dropEvent(class QDropEvent* event) override;

private:
    void showObject(const QModelIndex& index);
    void updateCrumbs();
    void next(); // starts the next queued transfer
    void setStatus(const QString& text);

    QString m_dir;
    R2ObjectsModel* m_model;
    QTableView* m_view;
    QHBoxLayout* m_crumbs;
    QCheckBox* m_flat;
    QPlainTextEdit* m_details;
    ValueView* m_preview;
    QProgressBar* m_progress;
    QPushButton* m_cancel;
    QLabel* m_status;
    R2Transfer* m_transfer;
    std::vector<std::function<void()>> m_queue; // transfers waiting their turn
    bool m_busy = false;
    QStringList m_errors;
    std::unique_ptr<StoreLoader> m_loader; // previews; destroyed first
    QByteArray m_shown;
};

} // namespace kiln
