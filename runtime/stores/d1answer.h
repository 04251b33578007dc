#pragma once

#include "stores/d1database.h"

#include <QByteArray>

#include <optional>

namespace kiln {

// What a D1 statement's first(), all()/run() or raw() hands Python, written straight from the
// result: "j" + the JSON text the entrypoint helper's callRpc encoding would make of that JS
// value (resources/js/entrypointhelper.mjs, plainJson), which Python's json.loads turns into
// what the general path gives. Saves building the JS rows, walking them and stringifying them
// on every query from Python (issue 17).
//
// No answer (nullopt) where the JS value would not be plain JSON or its object keys would not
// come out in column order: an integer beyond 2^53 or a non-finite REAL (JS numbers Python
// reads as floats), a column named "__proto__", the same name twice, or a name that is an
// array index among several columns (JS puts those first). The caller takes the JS path then.
class D1Answer {
public:
    enum class Shape {
        First, // the first row as an object, or null
        All,   // {success, results: [objects], meta}, as all() and run() answer
        Raw,   // the rows as arrays (raw() without options)
    };

    static std::optional<QByteArray> encode(const D1Result& result, Shape shape);
};

} // namespace kiln
