#include "logpane.h"

#include "logfiltermodel.h"
#include "logmodel.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QListView>
#include <QMenu>
#include <QScrollBar>
#include <QToolButton>
#include <QVBoxLayout>

namespace kiln {

LogPane::LogPane(LogModel* model, QWidget* parent)
    : QWidget(parent)
    , m_model(model)
    , m_filter(new LogFilterModel(this))
    , m_view(new QListView(this))
    , m_search(new QLineEdit(this))
    , m_level(new QComboBox(this)) {
    m_filter->setSourceModel(model);
    m_view->setModel(m_filter);
    m_view->setUniformItemSizes(false);
    m_view->setWordWrap(false);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setFont(QFont(QStringLiteral("monospace")));
    m_view->setObjectName(QStringLiteral("logView"));
    connect(m_view, &QListView::doubleClicked, this, &LogPane::activate);
    // Every project frame of a traceback is a place to go: the context menu lists them all.
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_view, &QListView::customContextMenuRequested, this, [this](const QPoint& at) {
        const QModelIndex index = m_view->indexAt(at);
        if (!index.isValid()) return;
        QMenu menu(this);
        for (const QVariant& f : index.data(LogModel::FramesRole).toList()) {
            const QVariantMap frame = f.toMap();
            const QString file = frame.value(QStringLiteral("file")).toString();
            const int line = frame.value(QStringLiteral("line")).toInt();
            menu.addAction(tr("Open %1:%2 (%3)")
                               .arg(QFileInfo(file).fileName())
                               .arg(line)
                               .arg(frame.value(QStringLiteral("function")).toString()),
                           this, [this, file, line] { Q_EMIT openLocation(file, line); });
        }
        if (!menu.isEmpty()) menu.addSeparator();
        menu.addAction(tr("Copy"), this, [index] {
            QApplication::clipboard()->setText(index.data(LogModel::TextRole).toString());
        });
        menu.exec(m_view->viewport()->mapToGlobal(at));
    });
    // Follow the end while the person is there; stay put once they scroll up to read.
    connect(m_filter, &QAbstractItemModel::rowsInserted, this, [this] {
        auto* bar = m_view->verticalScrollBar();
        if (bar->value() >= bar->maximum() - 2) m_view->scrollToBottom();
    });

    for (const auto& [name, level] : {std::pair{tr("All levels"), LogLevel::Debug},
                                      {tr("Log and above"), LogLevel::Log},
                                      {tr("Warnings and errors"), LogLevel::Warn},
                                      {tr("Errors"), LogLevel::Error}})
        m_level->addItem(name, int(level));
    connect(m_level, &QComboBox::currentIndexChanged, this,
            [this](int i) { m_filter->setMinimumLevel(LogLevel(m_level->itemData(i).toInt())); });
    m_search->setPlaceholderText(tr("Filter"));
    m_search->setClearButtonEnabled(true);
    connect(m_search, &QLineEdit::textChanged, m_filter, &LogFilterModel::setText);

    auto* copy = new QToolButton(this);
    copy->setText(tr("Copy"));
    connect(copy, &QToolButton::clicked, this, [this] {
        QStringList lines;
        const auto rows = m_view->selectionModel()->selectedRows();
        for (const auto& index : rows)
            lines.append(index.data(LogModel::TextRole).toString());
        QApplication::clipboard()->setText(lines.join(QLatin1Char('\n')));
    });
    auto* clear = new QToolButton(this);
    clear->setText(tr("Clear"));
    connect(clear, &QToolButton::clicked, m_model, &LogModel::clear);

    auto* bar = new QHBoxLayout;
    bar->addWidget(m_level);
    bar->addWidget(m_search, 1);
    bar->addWidget(copy);
    bar->addWidget(clear);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(m_view, 1);
}

void LogPane::activate(const QModelIndex& index) {
    const QVariantList frames = index.data(LogModel::FramesRole).toList();
    if (frames.isEmpty()) return;
    const QVariantMap innermost = frames.last().toMap();
    Q_EMIT openLocation(innermost.value(QStringLiteral("file")).toString(),
                        innermost.value(QStringLiteral("line")).toInt());
}

} // namespace kiln
