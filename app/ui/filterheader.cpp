#include "filterheader.h"

#include <QLineEdit>
#include <QScrollBar>
#include <QTimer>

namespace kiln {

FilterHeader::FilterHeader(QWidget* parent)
    : QHeaderView(Qt::Horizontal, parent)
    , m_debounce(new QTimer(this)) {
    setSectionsClickable(true);
    setSortIndicatorShown(true);
    setSectionsMovable(true);
    setStretchLastSection(true);
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(250);
    connect(m_debounce, &QTimer::timeout, this, [this] { Q_EMIT filtersChanged(filters()); });
    connect(this, &QHeaderView::sectionResized, this, [this] { place(); });
    connect(this, &QHeaderView::sectionMoved, this, [this] { place(); });
}

void FilterHeader::makeBoxes(int count) {
    qDeleteAll(m_boxes);
    m_boxes.clear();
    for (int i = 0; i < count; ++i) {
        auto* box = new QLineEdit(this);
        box->setPlaceholderText(tr("Filter"));
        box->setToolTip(tr("Rows whose value contains this text; or =, <>, <, >, <=, >= a "
                           "value; or NULL / NOT NULL"));
        box->setClearButtonEnabled(true);
        connect(box, &QLineEdit::textChanged, m_debounce, qOverload<>(&QTimer::start));
        box->show();
        m_boxes << box;
    }
    updateGeometries();
}

QStringList FilterHeader::filters() const {
    QStringList out;
    for (const QLineEdit* box : m_boxes)
        out << box->text();
    return out;
}

void FilterHeader::setFilter(int column, const QString& text) {
    if (column >= 0 && column < m_boxes.size()) m_boxes.at(column)->setText(text);
}

QSize FilterHeader::sizeHint() const {
    QSize size = QHeaderView::sizeHint();
    if (!m_boxes.isEmpty())
        size.setHeight(size.height() + m_boxes.first()->sizeHint().height() + 2);
    return size;
}

void FilterHeader::updateGeometries() {
    setViewportMargins(0, 0, 0, m_boxes.isEmpty() ? 0 : m_boxes.first()->sizeHint().height() + 2);
    QHeaderView::updateGeometries();
    place();
}

void FilterHeader::place() {
    if (m_boxes.isEmpty()) return;
    const int height = m_boxes.first()->sizeHint().height();
    const int y = QHeaderView::sizeHint().height() + 1;
    for (int i = 0; i < m_boxes.size(); ++i) {
        QLineEdit* box = m_boxes.at(i);
        box->setGeometry(sectionViewportPosition(i), y, sectionSize(i) - 1, height);
        box->setVisible(!isSectionHidden(i));
    }
}

} // namespace kiln
