#include "d1tableview.h"

#include "sizetext.h"

#include "compactrows.h"
#include "d1tablemodel.h"
#include "filterheader.h"
#include "valueview.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QShortcut>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

namespace kiln {

namespace {

// Tool buttons: the browsers' rows of actions fit beside the docks at 1366 px.
QToolButton* toolButton(const QString& text, QWidget* parent) {
    auto* b = new QToolButton(parent);
    b->setText(text);
    return b;
}

} // namespace

D1TableView::D1TableView(const QString& path, const QString& table, QWidget* parent)
    : QWidget(parent)
    , m_model(new D1TableModel(path, table, this))
    , m_view(new QTableView(this))
    , m_header(new FilterHeader(m_view))
    , m_apply(new QPushButton(tr("Review && Apply…"), this))
    , m_discard(new QPushButton(tr("Discard"), this))
    , m_status(new QLabel(this)) {
    setObjectName(QStringLiteral("d1Table"));
    m_view->setHorizontalHeader(m_header);
    m_view->setModel(m_model);
    m_header->setSortIndicator(-1, Qt::AscendingOrder); // rowid order until a header click
    m_view->setSelectionBehavior(QAbstractItemView::SelectItems);
    compactRows(m_view);
    m_view->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed |
                            QAbstractItemView::AnyKeyPressed);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // A long message is cut, not obeyed: the window must never grow past the screen for it.
    m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_status->setObjectName(QStringLiteral("d1TableStatus"));

    auto* add = toolButton(tr("Add Row"), this);
    auto* remove = toolButton(tr("Delete Rows"), this);
    auto* null = toolButton(tr("Set NULL"), this);
    auto* csv = toolButton(tr("Export CSV…"), this);
    auto* bar = new QHBoxLayout;
    for (auto* b : {add, remove, null})
        bar->addWidget(b);
    bar->addStretch(1);
    bar->addWidget(m_discard);
    bar->addWidget(m_apply);
    bar->addWidget(csv);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_status);

    connect(m_model, &QAbstractItemModel::modelReset, this, [this] {
        if (m_header->filters().size() != m_model->columnCount())
            m_header->makeBoxes(m_model->columnCount());
    });
    connect(m_header, &FilterHeader::filtersChanged, this, [this](const QStringList& texts) {
        std::vector<D1ColumnFilter> filters;
        for (int i = 0; i < texts.size(); ++i)
            if (!texts.at(i).trimmed().isEmpty())
                filters.push_back(
                    {m_model->headerData(i, Qt::Horizontal, Qt::DisplayRole).toString(),
                     texts.at(i)});
        m_model->setFilters(std::move(filters));
    });
    connect(m_header, &QHeaderView::sortIndicatorChanged, this,
            [this](int column, Qt::SortOrder order) { m_model->sort(column, order); });
    connect(m_model, &D1TableModel::loaded, this, &D1TableView::updateStatus);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &D1TableView::updateStatus);
    connect(add, &QToolButton::clicked, this, [this] {
        m_model->addRow();
        updateStatus();
    });
    connect(remove, &QToolButton::clicked, this, [this] {
        QList<int> rows;
        for (const QModelIndex& index : m_view->selectionModel()->selectedIndexes())
            if (!rows.contains(index.row())) rows << index.row();
        m_model->deleteRows(rows);
    });
    connect(null, &QToolButton::clicked, this, [this] {
        for (const QModelIndex& index : m_view->selectionModel()->selectedIndexes())
            m_model->setNull(index);
    });
    connect(m_discard, &QPushButton::clicked, this, [this] {
        m_model->discardPending();
        m_message.clear();
        updateStatus();
    });
    connect(m_apply, &QPushButton::clicked, this, [this] { apply(true); });
    connect(csv, &QToolButton::clicked, this, [this] {
        const QString file = QFileDialog::getSaveFileName(
            this, tr("Export %1 as CSV").arg(m_model->table()),
            m_model->table() + QStringLiteral(".csv"), tr("CSV (*.csv)"));
        if (!file.isEmpty()) exportCsv(file);
    });
    // A BLOB cannot be typed into a cell: it opens in a viewer instead.
    connect(m_view, &QAbstractItemView::doubleClicked, this, [this](const QModelIndex& index) {
        if (index.data(D1TableModel::ValueRole).typeId() == QMetaType::QByteArray) showBlob(index);
    });
    updateStatus();
}

QString D1TableView::statusText() const {
    return m_status->text();
}

void D1TableView::updateStatus() {
    const int pending = m_model->pendingCount();
    m_apply->setEnabled(pending > 0);
    m_discard->setEnabled(pending > 0);
    m_apply->setText(pending > 0 ? tr("Review && Apply (%1)…").arg(pending)
                                 : tr("Review && Apply…"));
    QStringList parts;
    if (!m_model->error().isEmpty())
        parts << tr("Cannot read: %1").arg(m_model->error());
    else if (m_model->countKnown())
        parts << tr("%1 row(s)").arg(QLocale().toString(m_model->rowCount()));
    if (const QString why = m_model->readOnlyWhy(); !why.isEmpty()) parts << why;
    if (!m_message.isEmpty()) parts << m_message;
    m_status->setText(parts.join(QStringLiteral(" · ")));
}

void D1TableView::apply(bool ask) {
    if (m_model->pendingCount() == 0) return;
    if (ask) {
        QDialog review(this);
        review.setWindowTitle(tr("Apply changes to %1").arg(m_model->table()));
        auto* sql = new QPlainTextEdit(m_model->pendingSql(), &review);
        sql->setReadOnly(true);
        sql->setFont(QFont(QStringLiteral("monospace")));
        auto* buttons =
            new QDialogButtonBox(QDialogButtonBox::Apply | QDialogButtonBox::Cancel, &review);
        connect(buttons->button(QDialogButtonBox::Apply), &QPushButton::clicked, &review,
                &QDialog::accept);
        connect(buttons, &QDialogButtonBox::rejected, &review, &QDialog::reject);
        auto* layout = new QVBoxLayout(&review);
        layout->addWidget(new QLabel(tr("These statements run in one transaction: all of them or "
                                        "none."),
                                     &review));
        layout->addWidget(sql, 1);
        layout->addWidget(buttons);
        review.resize(640, 320);
        if (review.exec() != QDialog::Accepted) return;
    }
    m_apply->setEnabled(false);
    m_model->applyPending([this](const QString& error) {
        m_message = error.isEmpty() ? tr("Applied") : tr("Not applied: %1").arg(error);
        updateStatus();
        Q_EMIT applied(error);
    });
}

void D1TableView::exportCsv(const QString& path) {
    m_message = tr("Exporting…");
    updateStatus();
    m_model->exportCsv(path, [this, path](const QString& error) {
        m_message =
            error.isEmpty() ? tr("Exported to %1").arg(path) : tr("Not exported: %1").arg(error);
        updateStatus();
        Q_EMIT exported(error);
    });
}

void D1TableView::showBlob(const QModelIndex& index) {
    const QByteArray bytes = index.data(D1TableModel::ValueRole).toByteArray();
    QDialog dialog(this);
    dialog.setWindowTitle(
        tr("%1, row %2: %3")
            .arg(m_model->headerData(index.column(), Qt::Horizontal, Qt::DisplayRole).toString())
            .arg(index.row() + 1)
            .arg(sizeText(bytes.size())));
    auto* value = new ValueView(&dialog);
    value->setReadOnly(true);
    value->setValue(bytes);
    auto* layout = new QVBoxLayout(&dialog);
    layout->addWidget(value);
    dialog.resize(640, 420);
    dialog.exec();
}

} // namespace kiln
