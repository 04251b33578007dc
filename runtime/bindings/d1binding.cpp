#include "bindings/d1binding.h"

#include "engine/internal/opstable.h"
#include "engine/internal/textcodec.h"
#include "stores/d1answer.h"
#include "stores/statelayout.h"

#include <v8-array-buffer.h>
#include <v8-container.h>
#include <v8-exception.h>
#include <v8-external.h>
#include <v8-function.h>
#include <v8-object.h>
#include <v8-primitive.h>
#include <v8-template.h>
#include <v8-typed-array.h>

#include <cmath>

namespace kiln {

namespace {

using Args = const v8::FunctionCallbackInfo<v8::Value>&;

D1Binding* self(Args args) {
    return static_cast<D1Binding*>(args.Data().As<v8::External>()->Value());
}

SqlValue fromJs(v8::Isolate* isolate, v8::Local<v8::Value> value) {
    if (value->IsNullOrUndefined()) return SqlValue();
    if (value->IsBoolean()) return SqlValue(static_cast<qint64>(value->BooleanValue(isolate)));
    if (value->IsNumber()) {
        const double d = value.As<v8::Number>()->Value();
        if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) <= 9007199254740992.0)
            return SqlValue(static_cast<qint64>(d));
        return SqlValue(d);
    }
    if (value->IsArrayBufferView() || value->IsArrayBuffer()) return SqlValue(bytesOf(value));
    if (value->IsBigInt()) { // Pyodide hands Python ints beyond 2^53 over as BigInts
        bool lossless = false;
        const int64_t i = value.As<v8::BigInt>()->Int64Value(&lossless);
        if (lossless) return SqlValue(static_cast<qint64>(i));
        return SqlValue(value->NumberValue(isolate->GetCurrentContext()).FromMaybe(0.0));
    }
    return SqlValue(toQString(isolate, value));
}

// A statement's parameters from a JS array of values (anything else: none).
std::vector<SqlValue> paramsFromJs(const JsScope& scope, v8::Local<v8::Value> list) {
    std::vector<SqlValue> params;
    if (!list->IsArray()) return params;
    auto array = list.As<v8::Array>();
    params.reserve(array->Length());
    for (uint32_t i = 0; i < array->Length(); ++i)
        params.push_back(fromJs(scope.isolate, array->Get(scope.context, i).ToLocalChecked()));
    return params;
}

// An array made in one call from its elements (no per-index Set through the API).
v8::Local<v8::Array> arrayOf(v8::Isolate* isolate, std::vector<v8::Local<v8::Value>>& elements) {
    return v8::Array::New(isolate, elements.data(), elements.size());
}

v8::Local<v8::Value> toJs(v8::Isolate* isolate, const SqlValue& value) {
    if (const auto* i = std::get_if<qint64>(&value))
        return v8::Number::New(isolate, static_cast<double>(*i));
    if (const auto* d = std::get_if<double>(&value)) return v8::Number::New(isolate, *d);
    if (const auto* s = std::get_if<QString>(&value)) return toV8(isolate, *s);
    if (const auto* b = std::get_if<QByteArray>(&value)) {
        std::vector<v8::Local<v8::Value>> bytes;
        bytes.reserve(static_cast<size_t>(b->size()));
        for (const char byte : *b)
            bytes.push_back(v8::Integer::New(isolate, static_cast<unsigned char>(byte)));
        return arrayOf(isolate, bytes);
    }
    return v8::Null(isolate);
}

// [[columns, rows: [[...]], [duration, changes, last_row_id, changed_db, size_after,
// rows_read, rows_written]], ...]: arrays only, each made whole. d1database.mjs makes the
// meta object itself, for the methods that answer it (objects with named fields cost a
// property transition per field through the API: most of a point select's host time).
v8::Local<v8::Array> resultsToJs(const JsScope& s, const std::vector<D1Result>& results) {
    v8::Isolate* isolate = s.isolate;
    std::vector<v8::Local<v8::Value>> out, columns, rows, values;
    out.reserve(results.size());
    for (const D1Result& result : results) {
        columns.clear();
        for (const QString& column : result.columns)
            columns.push_back(toV8(isolate, column));
        rows.clear();
        rows.reserve(result.rows.size());
        for (const auto& row : result.rows) {
            values.clear();
            for (const SqlValue& value : row)
                values.push_back(toJs(isolate, value));
            rows.push_back(arrayOf(isolate, values));
        }
        const D1Meta& m = result.meta;
        std::vector<v8::Local<v8::Value>> meta{v8::Number::New(isolate, m.durationMs),
                                               v8::Number::New(isolate, double(m.changes)),
                                               v8::Number::New(isolate, double(m.lastRowId)),
                                               v8::Boolean::New(isolate, m.changedDb),
                                               v8::Number::New(isolate, double(m.sizeAfter)),
                                               v8::Number::New(isolate, double(m.rowsRead)),
                                               v8::Number::New(isolate, double(m.rowsWritten))};
        std::vector<v8::Local<v8::Value>> item{arrayOf(isolate, columns), arrayOf(isolate, rows),
                                               arrayOf(isolate, meta)};
        out.push_back(arrayOf(isolate, item));
    }
    return arrayOf(isolate, out);
}

// Lone SELECTs are microseconds of SQLite: done in place rather than on a pool thread
// (two thread hops cost more). Anything that may write goes to the pool, so an fsync
// never stalls the event loop. (Misjudging only moves work between threads.)
bool isLoneRead(const std::vector<D1Statement>& statements) {
    return statements.size() == 1 && statements.front().sql.trimmed().startsWith(
                                         QLatin1String("SELECT"), Qt::CaseInsensitive);
}

} // namespace

std::shared_ptr<D1Database> D1Binding::database(Args args) {
    const int handle = args[0]->Int32Value(args.GetIsolate()->GetCurrentContext()).FromMaybe(-1);
    if (handle < 0 || handle >= static_cast<int>(m_databases.size())) {
        args.GetIsolate()->ThrowException(
            v8::Exception::TypeError(toV8(args.GetIsolate(), "Illegal invocation")));
        return nullptr;
    }
    return m_databases[static_cast<size_t>(handle)];
}

void D1Binding::opOpen(Args args) {
    auto* binding = self(args);
    const QString id = toQString(args.GetIsolate(), args[0]);
    auto db = std::make_shared<D1Database>(StateLayout(binding->m_persistDir).d1File(id));
    db->setChangeObserver(
        [notice = ChangeNotice{binding->m_changed, StoreKind::D1, id}](const QStringList& tables) {
            if (tables.isEmpty()) notice({});
            for (const QString& table : tables)
                notice(table);
        });
    if (auto r = db->open(); !r) {
        args.GetIsolate()->ThrowException(v8::Exception::Error(toV8(args.GetIsolate(), r.error())));
        return;
    }
    binding->m_databases.push_back(std::move(db));
    args.GetReturnValue().Set(static_cast<int>(binding->m_databases.size() - 1));
}

void D1Binding::opRun(Args args) {
    auto db = self(args)->database(args);
    if (!db) return;
    auto* isolate = args.GetIsolate();
    const JsScope scope{isolate, isolate->GetCurrentContext()};
    std::vector<D1Statement> statements;
    if (args[1]->IsArray()) {
        auto list = args[1].As<v8::Array>();
        for (uint32_t i = 0; i < list->Length(); ++i) {
            auto pair = list->Get(scope.context, i).ToLocalChecked().As<v8::Array>();
            statements.push_back(
                {toQString(isolate, pair->Get(scope.context, 0).ToLocalChecked()),
                 paramsFromJs(scope, pair->Get(scope.context, 1).ToLocalChecked())});
        }
    }
    auto settle = [](const JsScope& s, v8::Local<v8::Promise::Resolver> resolver,
                     std::expected<std::vector<D1Result>, QString>&& r) {
        if (!r)
            return void(
                resolver->Reject(s.context, v8::Exception::Error(toV8(s.isolate, r.error())))
                    .Check());
        resolver->Resolve(s.context, resultsToJs(s, *r)).Check();
    };
    auto cancel = self(args)->cancelFlag(scope);
    const bool read = isLoneRead(statements);
    if (read)
        return args.GetReturnValue().Set(self(args)->m_async.runNow(
            scope, [db, &statements, &cancel] { return db->run(statements, cancel); }, settle));
    args.GetReturnValue().Set(self(args)->m_async.run(
        scope,
        [db, statements = std::move(statements), cancel = std::move(cancel)] {
            return db->run(statements, cancel);
        },
        settle));
}

// d1Answer(handle, sql, params, shape): a lone read run at once, its answer for the Python SDK
// as D1Answer writes it ("j" + JSON text; shape 0 first, 1 all/run, 2 raw). undefined, with
// nothing run, for anything but a lone read; undefined too when it fails or D1Answer has no
// answer for it: the caller then runs the statement the JS way, which answers that itself.
void D1Binding::opAnswer(Args args) {
    auto db = self(args)->database(args);
    if (!db) return;
    auto* isolate = args.GetIsolate();
    const JsScope scope{isolate, isolate->GetCurrentContext()};
    std::vector<D1Statement> statements(1);
    statements[0].sql = toQString(isolate, args[1]);
    const int shape = args[3]->Int32Value(scope.context).FromMaybe(-1);
    if (!isLoneRead(statements) || !args[2]->IsArray() || shape < 0 || shape > 2) return;
    statements[0].params = paramsFromJs(scope, args[2]);
    auto results = db->run(statements, self(args)->cancelFlag(scope));
    if (!results || results->size() != 1) return;
    const auto answer = D1Answer::encode(results->front(), static_cast<D1Answer::Shape>(shape));
    // Past V8's longest string too: the JS path then meets that limit in its own way.
    v8::Local<v8::String> text;
    if (!answer || answer->size() > v8::String::kMaxLength ||
        !v8::String::NewFromUtf8(isolate, answer->constData(), v8::NewStringType::kNormal,
                                 static_cast<int>(answer->size()))
             .ToLocal(&text))
        return;
    args.GetReturnValue().Set(text);
}

void D1Binding::opExec(Args args) {
    auto db = self(args)->database(args);
    if (!db) return;
    auto* isolate = args.GetIsolate();
    const JsScope scope{isolate, isolate->GetCurrentContext()};
    const QString sql = toQString(isolate, args[1]);
    args.GetReturnValue().Set(self(args)->m_async.run(
        scope, [db, sql] { return db->exec(sql); },
        [](const JsScope& s, v8::Local<v8::Promise::Resolver> resolver,
           std::expected<D1ExecResult, QString>&& r) {
            if (!r)
                return void(
                    resolver->Reject(s.context, v8::Exception::Error(toV8(s.isolate, r.error())))
                        .Check());
            auto out = v8::Object::New(s.isolate);
            setField(s, out, "count", v8::Number::New(s.isolate, r->count));
            setField(s, out, "duration", v8::Number::New(s.isolate, r->durationMs));
            resolver->Resolve(s.context, out).Check();
        }));
}

void D1Binding::install(const JsScope& scope, v8::Local<v8::Object> ops) {
    installOpTable(scope, ops, this,
                   {
                       {"d1Open", opOpen},
                       {"d1Run", opRun},
                       {"d1Answer", opAnswer},
                       {"d1Exec", opExec},
                   });
}

} // namespace kiln
