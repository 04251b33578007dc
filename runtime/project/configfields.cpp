#include "project/configfields.h"

#include <QJsonObject>

namespace kiln {

ConfigField ConfigFields::root(const QString& key) const {
    return {m_doc.root.value(key), ConfigDocument::childPointer(QString(), key)};
}

ConfigField ConfigFields::child(const ConfigField& parent, const QString& key) {
    return {parent.value.toObject().value(key), ConfigDocument::childPointer(parent.pointer, key)};
}

ConfigField ConfigFields::item(const ConfigField& array, qsizetype index) {
    const QJsonArray arr = array.value.toArray();
    return {index < arr.size() ? arr.at(index) : QJsonValue(QJsonValue::Undefined),
            ConfigDocument::childPointer(array.pointer, index)};
}

QString ConfigFields::typeName(const QJsonValue& v) {
    switch (v.type()) {
    case QJsonValue::Null:
        return QStringLiteral("null");
    case QJsonValue::Bool:
        return QStringLiteral("a boolean");
    case QJsonValue::Double:
        return QStringLiteral("a number");
    case QJsonValue::String:
        return QStringLiteral("a string");
    case QJsonValue::Array:
        return QStringLiteral("an array");
    case QJsonValue::Object:
        return QStringLiteral("an object");
    case QJsonValue::Undefined:
        break;
    }
    return QStringLiteral("nothing");
}

bool ConfigFields::fail(const ConfigField& f, const QString& message) {
    if (!m_error) // the first error is the one worth reading
        m_error = m_doc.errorAt(f.pointer, message);
    return false;
}

bool ConfigFields::failType(const ConfigField& f, const QString& expected) {
    return fail(
        f,
        QStringLiteral("\"%1\" must be %2, found %3").arg(display(f), expected, typeName(f.value)));
}

bool ConfigFields::optString(const ConfigField& f, QString& out) {
    if (!f.present()) return true;
    if (!f.value.isString()) return failType(f, QStringLiteral("a string"));
    out = f.value.toString();
    return true;
}

bool ConfigFields::reqString(const ConfigField& f, QString& out) {
    if (!f.present()) {
        // Reported where the enclosing object starts: the key has no position of its own.
        const QString parent = f.pointer.left(f.pointer.lastIndexOf(QLatin1Char('/')));
        const QString key = ConfigDocument::displayPath(f.pointer.mid(parent.size()));
        return fail(f, QStringLiteral("\"%1\" is missing the required key \"%2\"")
                           .arg(ConfigDocument::displayPath(parent), key));
    }
    if (!optString(f, out)) return false;
    if (out.isEmpty()) return fail(f, QStringLiteral("\"%1\" must not be empty").arg(display(f)));
    return true;
}

bool ConfigFields::optStringList(const ConfigField& f, QStringList& out) {
    if (!f.present()) return true;
    if (!f.value.isArray()) return failType(f, QStringLiteral("an array of strings"));
    const qsizetype n = f.value.toArray().size();
    for (qsizetype i = 0; i < n; ++i) {
        const ConfigField it = item(f, i);
        if (!it.value.isString()) return failType(it, QStringLiteral("a string"));
        out << it.value.toString();
    }
    return true;
}

bool ConfigFields::optObject(const ConfigField& f, const QString& expected) {
    if (f.present() && !f.value.isObject()) return failType(f, expected);
    return true;
}

bool ConfigFields::optObjectArray(const ConfigField& f, QJsonArray& out) {
    if (!f.present()) return true;
    if (!f.value.isArray()) return failType(f, QStringLiteral("an array of objects"));
    out = f.value.toArray();
    for (qsizetype i = 0; i < out.size(); ++i) {
        const ConfigField it = item(f, i);
        if (!it.value.isObject()) return failType(it, QStringLiteral("an object"));
    }
    return true;
}

} // namespace kiln
