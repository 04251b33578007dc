#include "engine/internal/textcodec.h"

#include "engine/internal/jsruntime.h"

#include <v8-isolate.h>

#include <vector>

namespace kiln {

QByteArray encodeUtf8(v8::Isolate* isolate, v8::Local<v8::Value> value) {
    v8::Local<v8::String> text;
    if (value->IsUndefined())
        text = v8::String::Empty(isolate);
    else if (!value->ToString(isolate->GetCurrentContext()).ToLocal(&text))
        return {};
    const int length = text->Utf8Length(isolate);
    QByteArray bytes(length, Qt::Uninitialized);
    text->WriteUtf8(isolate, bytes.data(), length, nullptr,
                    v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
    return bytes;
}

bool isValidUtf8(const unsigned char* s, size_t n) {
    size_t i = 0;
    while (i < n) {
        const unsigned char c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t extra;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF)
            extra = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else
            return false;
        if (i + extra >= n) return false;
        if (s[i + 1] < lo || s[i + 1] > hi) return false;
        for (size_t k = 2; k <= extra; ++k)
            if ((s[i + k] & 0xC0) != 0x80) return false;
        i += extra + 1;
    }
    return true;
}

v8::MaybeLocal<v8::String> decodeText(v8::Isolate* isolate, const char* data, size_t length,
                                      const QString& encoding, bool fatal, QString* error) {
    const QString enc = encoding.toLower();
    if (enc.isEmpty() || enc == QLatin1String("utf-8") || enc == QLatin1String("utf8")) {
        if (fatal && !isValidUtf8(reinterpret_cast<const unsigned char*>(data), length)) {
            *error = QStringLiteral("The encoded data was not valid for encoding utf-8");
            return {};
        }
        // V8 decodes ill-formed sequences to U+FFFD per maximal subpart, as the standard does.
        return v8::String::NewFromUtf8(isolate, data, v8::NewStringType::kNormal,
                                       static_cast<int>(length));
    }
    if (enc == QLatin1String("utf-16le") || enc == QLatin1String("utf-16")) {
        std::vector<uint16_t> units(length / 2);
        memcpy(units.data(), data, units.size() * 2);
        if (length % 2) {
            if (fatal) {
                *error = QStringLiteral("The encoded data was not valid for encoding utf-16le");
                return {};
            }
            units.push_back(0xFFFD);
        }
        return v8::String::NewFromTwoByte(isolate, units.data(), v8::NewStringType::kNormal,
                                          static_cast<int>(units.size()));
    }
    if (enc == QLatin1String("latin1") || enc == QLatin1String("iso-8859-1") ||
        enc == QLatin1String("ascii") || enc == QLatin1String("us-ascii") ||
        enc == QLatin1String("windows-1252")) {
        return v8::String::NewFromOneByte(isolate, reinterpret_cast<const uint8_t*>(data),
                                          v8::NewStringType::kNormal, static_cast<int>(length));
    }
    *error = QStringLiteral("The \"%1\" encoding is not supported").arg(encoding);
    return {};
}

} // namespace kiln
