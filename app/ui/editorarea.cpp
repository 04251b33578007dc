#include "editorarea.h"

#include "editor/codeeditor.h"
#include "editor/textfile.h"

#include <QDir>
#include <QFileInfo>
#include <QMessageBox>

namespace kiln {

EditorArea::EditorArea(QWidget* parent)
    : QTabWidget(parent) {
    setDocumentMode(true);
    setTabsClosable(true);
    setMovable(true);
    connect(this, &QTabWidget::tabCloseRequested, this, &EditorArea::closeTab);
    connect(&m_watcher, &QFileSystemWatcher::fileChanged, this, &EditorArea::onFileChanged);
    m_autosave.setSingleShot(true);
    m_autosave.setInterval(2000);
    connect(&m_autosave, &QTimer::timeout, this, &EditorArea::autosaveNow);
}

void EditorArea::fileRenamed(const QString& from, const QString& to) {
    const QString prefix = QDir::cleanPath(from) + QLatin1Char('/');
    for (int i = 0; i < count(); ++i) {
        auto* e = qobject_cast<CodeEditor*>(widget(i));
        if (!e) continue;
        QString moved;
        if (e->path() == QDir::cleanPath(from))
            moved = QDir::cleanPath(to);
        else if (e->path().startsWith(prefix))
            moved = QDir::cleanPath(to) + QLatin1Char('/') + e->path().mid(prefix.size());
        if (moved.isEmpty()) continue;
        m_watcher.removePath(e->path());
        m_backups.remove(e->path());
        e->setPath(moved);
        m_watcher.addPath(moved);
        setTabToolTip(i, moved);
        updateTitle(e);
        if (e->isModified()) m_changed.insert(e); // its backup is written under the new name
    }
}

void EditorArea::fileRemoved(const QString& path) {
    const QString prefix = QDir::cleanPath(path) + QLatin1Char('/');
    for (int i = count() - 1; i >= 0; --i) {
        auto* e = qobject_cast<CodeEditor*>(widget(i));
        if (!e || (e->path() != QDir::cleanPath(path) && !e->path().startsWith(prefix))) continue;
        m_watcher.removePath(e->path());
        m_changed.remove(e);
        m_backups.remove(e->path());
        removeTab(i);
        e->deleteLater();
    }
}

void EditorArea::setZoom(int zoom) {
    m_zoom = zoom;
    for (int i = 0; i < count(); ++i)
        if (auto* e = qobject_cast<CodeEditor*>(widget(i))) e->zoomTo(zoom);
}

void EditorArea::autosaveNow() {
    m_autosave.stop();
    for (CodeEditor* editor : std::exchange(m_changed, {})) {
        if (indexOf(editor) < 0) continue;
        if (editor->isModified())
            m_backups.write(editor->path(), editor->text());
        else
            m_backups.remove(editor->path());
    }
}

int EditorArea::restoreBackups(const QString& projectDir,
                               const std::function<bool(const BackupStore::Backup&)>& accept) {
    int restored = 0;
    for (const auto& backup : m_backups.list(projectDir)) {
        auto onDisk = TextFile::load(backup.path);
        const bool differs = !onDisk || onDisk->text != backup.text;
        if (!differs || !accept(backup)) {
            m_backups.remove(backup.path);
            continue;
        }
        CodeEditor* editor = editorFor(backup.path);
        if (!editor && QFileInfo::exists(backup.path)) editor = openFile(backup.path);
        if (!editor) { // the file is gone: bring the text back in a new one at the same place
            if (!TextFile::save(backup.path, QString())) continue;
            editor = openFile(backup.path);
        }
        if (!editor || editor->isReadOnly()) continue;
        editor->setText(backup.text);
        editor->setModified(true);
        ++restored;
    }
    return restored;
}

void EditorArea::dropBackups() {
    m_autosave.stop();
    m_changed.clear();
    for (int i = 0; i < count(); ++i)
        if (auto* e = qobject_cast<CodeEditor*>(widget(i))) m_backups.remove(e->path());
}

CodeEditor* EditorArea::editorFor(const QString& path) const {
    const QString canonical = QFileInfo(path).absoluteFilePath();
    for (int i = 0; i < count(); ++i)
        if (auto* e = qobject_cast<CodeEditor*>(widget(i)); e && e->path() == canonical) return e;
    return nullptr;
}

CodeEditor* EditorArea::current() const {
    return qobject_cast<CodeEditor*>(currentWidget());
}

CodeEditor* EditorArea::openFile(const QString& path, int line) {
    const QString absolute = QFileInfo(path).absoluteFilePath();
    CodeEditor* editor = editorFor(absolute);
    if (!editor) {
        auto file = TextFile::load(absolute);
        if (!file) {
            Q_EMIT message(file.error());
            return nullptr;
        }
        editor = new CodeEditor(absolute, this);
        editor->setText(file->text);
        editor->setModified(false);
        editor->zoomTo(m_zoom);
        if (!file->editable) {
            editor->setReadOnly(true);
            Q_EMIT message(tr("%1 is read-only: %2").arg(absolute, file->whyReadOnly));
        }
        const int index = addTab(editor, QFileInfo(absolute).fileName());
        setTabToolTip(index, absolute);
        connect(editor, &CodeEditor::modificationChanged, this, [this, editor](bool modified) {
            updateTitle(editor);
            if (modified) Q_EMIT editing();
        });
        connect(editor, &CodeEditor::textChanged, this, [this, editor] {
            m_changed.insert(editor);
            if (!m_autosave.isActive()) m_autosave.start();
        });
        m_watcher.addPath(absolute);
    }
    setCurrentWidget(editor);
    if (line > 0) editor->goToLine(line);
    return editor;
}

void EditorArea::updateTitle(CodeEditor* editor) {
    const int index = indexOf(editor);
    if (index < 0) return;
    setTabText(index, QFileInfo(editor->path()).fileName() +
                          (editor->isModified() ? QStringLiteral(" •") : QString()));
}

bool EditorArea::save(CodeEditor* editor) {
    if (!editor || editor->isReadOnly() || !editor->isModified()) return true;
    m_watcher.removePath(editor->path()); // our own write is not a change from outside
    auto r = TextFile::save(editor->path(), editor->text());
    m_watcher.addPath(editor->path());
    if (!r) {
        Q_EMIT message(r.error());
        return false;
    }
    editor->setModified(false);
    m_changed.remove(editor);
    m_backups.remove(editor->path());
    Q_EMIT saved(editor->path());
    return true;
}

bool EditorArea::saveCurrent() {
    return save(current());
}

bool EditorArea::saveAll() {
    bool ok = true;
    for (int i = 0; i < count(); ++i)
        ok = save(qobject_cast<CodeEditor*>(widget(i))) && ok;
    return ok;
}

bool EditorArea::hasUnsaved() const {
    for (int i = 0; i < count(); ++i)
        if (auto* e = qobject_cast<CodeEditor*>(widget(i)); e && e->isModified()) return true;
    return false;
}

void EditorArea::markError(const QString& path, int line, const QString& message) {
    clearErrors();
    if (CodeEditor* editor = openFile(path)) editor->setError(line, message);
}

void EditorArea::clearErrors() {
    for (int i = 0; i < count(); ++i)
        if (auto* e = qobject_cast<CodeEditor*>(widget(i))) e->clearErrors();
}

void EditorArea::onFileChanged(const QString& path) {
    CodeEditor* editor = editorFor(path);
    if (!editor) return;
    if (QFileInfo::exists(path)) m_watcher.addPath(path); // editors that replace files
    auto file = TextFile::load(path);
    if (!file || file->text == editor->text()) return;
    if (editor->isModified() &&
        QMessageBox::question(this, tr("File changed on disk"),
                              tr("%1 changed on disk, and you have unsaved changes here. Load "
                                 "the version on disk (your changes are lost)?")
                                  .arg(path)) != QMessageBox::Yes)
        return;
    int line = 0, index = 0;
    editor->getCursorPosition(&line, &index);
    editor->setText(file->text);
    editor->setModified(false);
    editor->setCursorPosition(line, index);
    Q_EMIT message(tr("%1 was reloaded from disk").arg(path));
}

bool EditorArea::closeTab(int index) {
    QWidget* page = widget(index);
    if (!page) return false;
    auto* editor = qobject_cast<CodeEditor*>(page);
    if (editor && editor->isModified()) {
        setCurrentIndex(index);
        const auto answer = QMessageBox::question(
            this, tr("Unsaved changes"),
            tr("Save the changes to %1?").arg(QFileInfo(editor->path()).fileName()),
            QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel);
        if (answer == QMessageBox::Cancel || (answer == QMessageBox::Save && !save(editor)))
            return false;
    }
    if (editor) {
        m_watcher.removePath(editor->path());
        m_changed.remove(editor);
        m_backups.remove(editor->path()); // saved, or discarded on purpose
    }
    removeTab(index);
    page->deleteLater(); // editors and data browsers alike
    return true;
}

bool EditorArea::closeAll() {
    while (count() > 0)
        if (!closeTab(count() - 1)) return false;
    return true;
}

} // namespace kiln
