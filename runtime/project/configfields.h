#pragma once

#include "project/configdocument.h"

#include <QJsonArray>
#include <QJsonValue>
#include <QString>
#include <QStringList>

#include <optional>

namespace kiln {

// A value in a ConfigDocument together with where it is (or would be, when absent).
struct ConfigField {
    QJsonValue value{QJsonValue::Undefined}; // Undefined when absent
    QString pointer;                         // JSON Pointer into the document
    bool present() const { return !value.isUndefined(); }
};

// Typed reads of ConfigFields that turn every type mismatch into one ConfigError worded the
// same way ("\"kv_namespaces[0].binding\" must be a string, found a number") and located at
// the offending value. Each read returns false after recording the first error.
class ConfigFields {
public:
    explicit ConfigFields(const ConfigDocument& doc)
        : m_doc(doc) {}

    ConfigField root(const QString& key) const;
    static ConfigField child(const ConfigField& parent, const QString& key);
    static ConfigField item(const ConfigField& array, qsizetype index);

    bool fail(const ConfigField& f, const QString& message);
    bool failType(const ConfigField& f, const QString& expected);
    bool optString(const ConfigField& f, QString& out);
    bool reqString(const ConfigField& f, QString& out); // present and non-empty
    bool optStringList(const ConfigField& f, QStringList& out);
    bool optObject(const ConfigField& f, const QString& expected); // absent or an object
    bool optObjectArray(const ConfigField& f, QJsonArray& out);    // absent or [ {...}, ... ]

    ConfigError errorAt(const ConfigField& f, const QString& message) const {
        return m_doc.errorAt(f.pointer, message);
    }
    const std::optional<ConfigError>& error() const { return m_error; }

    static QString display(const ConfigField& f) { return ConfigDocument::displayPath(f.pointer); }
    static QString typeName(const QJsonValue& v);

private:
    const ConfigDocument& m_doc;
    std::optional<ConfigError> m_error;
};

} // namespace kiln
