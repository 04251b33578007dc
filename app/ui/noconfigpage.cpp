#include "noconfigpage.h"

#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace kiln {

NoConfigPage::NoConfigPage(QWidget* parent)
    : QWidget(parent)
    , m_text(new QLabel(this)) {
    m_text->setWordWrap(true);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_text->setObjectName(QStringLiteral("noConfigText"));
    auto* create = new QPushButton(tr("Create wrangler.jsonc"), this);
    create->setObjectName(QStringLiteral("createConfig"));
    connect(create, &QPushButton::clicked, this, [this] { Q_EMIT createRequested(m_dir); });
    auto* layout = new QVBoxLayout(this);
    layout->addStretch(1);
    layout->addWidget(m_text);
    layout->addWidget(create, 0, Qt::AlignLeft);
    layout->addStretch(2);
    layout->setContentsMargins(48, 24, 48, 24);
}

void NoConfigPage::setFolder(const QString& dir) {
    m_dir = dir;
    m_text->setText(tr("<h3>Not a Worker project yet</h3><p><b>%1</b> has no wrangler.jsonc, "
                       "wrangler.json or wrangler.toml, so there is nothing to run.</p><p>Kiln can "
                       "create a wrangler.jsonc (and a pyproject.toml) whose <code>main</code> "
                       "is this folder's Python entry file, or a new <code>src/entry.py</code> "
                       "that says hello.</p>")
                        .arg(dir.toHtmlEscaped()));
}

} // namespace kiln
