#pragma once

#include "editor/qsci.h"

#define signals Q_SIGNALS
#define slots Q_SLOTS
#include <Qsci/qscilexercustom.h>
#undef signals
#undef slots

namespace kiln {

// Colours `.http` request files (the REST Client / JetBrains format that httpdocument.h
// reads): `###` separators, comments and `# @name`, `@variables`, the request line's method
// and URL, header names, and `{{placeholders}}` anywhere. Files of requests are small, so the
// whole text is styled on each change (the header/body split depends on earlier lines).
class HttpLexer : public QsciLexerCustom {
    Q_OBJECT
public:
    enum Style {
        Default,
        Separator,
        Comment,
        Name,
        Variable,
        Method,
        Url,
        HeaderName,
        Placeholder
    };
    explicit HttpLexer(QObject* parent = nullptr);
    const char* language() const override { return "HTTP"; }
    QString description(int style) const override;
    QColor defaultColor(int style) const override;
    QFont defaultFont(int style) const override;
    void styleText(int start, int end) override;
};

} // namespace kiln
