#pragma once

#include <QByteArray>
#include <QString>

#include <v8-local-handle.h>
#include <v8-primitive.h>

namespace kiln {

// The byte-level half of TextEncoder/TextDecoder: UTF-8 (lone surrogates become U+FFFD, as
// the Encoding standard says), UTF-16LE and ISO-8859-1. BOM handling and streaming live in
// the JS prelude.
QByteArray encodeUtf8(v8::Isolate* isolate, v8::Local<v8::Value> value);
v8::MaybeLocal<v8::String> decodeText(v8::Isolate* isolate, const char* data, size_t length,
                                      const QString& encoding, bool fatal, QString* error);
bool isValidUtf8(const unsigned char* data, size_t length);

} // namespace kiln
