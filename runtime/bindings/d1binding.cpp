#include "bindings/d1binding.h"

#include "engine/internal/opstable.h"
#include "engine/internal/textcodec.h"
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

v8::Local<v8::Value> toJs(v8::Isolate* isolate, const SqlValue& value) {
    if (const auto* i = std::get_if<qint64>(&value))
        return v8::Number::New(isolate, static_cast<double>(*i));
    if (const auto* d = std::get_if<double>(&value)) return v8::Number::New(isolate, *d);
    if (const auto* s = std::get_if<QString>(&value)) return toV8(isolate, *s);
    if (const auto* b = std::get_if<QByteArray>(&value)) {
        auto array = v8::Array::New(isolate, static_cast<int>(b->size()));
        auto context = isolate->GetCurrentContext();
        for (qsizetype i = 0; i < b->size(); ++i)
            array
                ->Set(context, static_cast<uint32_t>(i),
                      v8::Integer::New(isolate, static_cast<unsigned char>(b->at(i))))
                .Check();
        return array;
    }
    return v8::Null(isolate);
}

v8::Local<v8::Object> metaOf(const JsScope& s, const D1Meta& meta) {
    auto out = v8::Object::New(s.isolate);
    setField(s, out, "served_by", toV8(s.isolate, "kiln"));
    setField(s, out, "duration", v8::Number::New(s.isolate, meta.durationMs));
    setField(s, out, "changes", v8::Number::New(s.isolate, double(meta.changes)));
    setField(s, out, "last_row_id", v8::Number::New(s.isolate, double(meta.lastRowId)));
    setField(s, out, "changed_db", v8::Boolean::New(s.isolate, meta.changedDb));
    setField(s, out, "size_after", v8::Number::New(s.isolate, double(meta.sizeAfter)));
    setField(s, out, "rows_read", v8::Number::New(s.isolate, double(meta.rowsRead)));
    setField(s, out, "rows_written", v8::Number::New(s.isolate, double(meta.rowsWritten)));
    return out;
}

// [{columns, rows: [[...]], meta}, ...]
v8::Local<v8::Array> resultsToJs(const JsScope& s, const std::vector<D1Result>& results) {
    auto out = v8::Array::New(s.isolate, static_cast<int>(results.size()));
    for (size_t i = 0; i < results.size(); ++i) {
        const D1Result& result = results[i];
        auto columns = v8::Array::New(s.isolate, static_cast<int>(result.columns.size()));
        for (int c = 0; c < result.columns.size(); ++c)
            columns->Set(s.context, static_cast<uint32_t>(c), toV8(s.isolate, result.columns[c]))
                .Check();
        auto rows = v8::Array::New(s.isolate, static_cast<int>(result.rows.size()));
        for (size_t row = 0; row < result.rows.size(); ++row) {
            auto values = v8::Array::New(s.isolate, static_cast<int>(result.rows[row].size()));
            for (size_t c = 0; c < result.rows[row].size(); ++c)
                values
                    ->Set(s.context, static_cast<uint32_t>(c), toJs(s.isolate, result.rows[row][c]))
                    .Check();
            rows->Set(s.context, static_cast<uint32_t>(row), values).Check();
        }
        auto item = v8::Object::New(s.isolate);
        setField(s, item, "columns", columns);
        setField(s, item, "rows", rows);
        setField(s, item, "meta", metaOf(s, result.meta));
        out->Set(s.context, static_cast<uint32_t>(i), item).Check();
    }
    return out;
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
            D1Statement statement{toQString(isolate, pair->Get(scope.context, 0).ToLocalChecked()),
                                  {}};
            auto params = pair->Get(scope.context, 1).ToLocalChecked();
            if (params->IsArray()) {
                auto p = params.As<v8::Array>();
                for (uint32_t j = 0; j < p->Length(); ++j)
                    statement.params.push_back(
                        fromJs(isolate, p->Get(scope.context, j).ToLocalChecked()));
            }
            statements.push_back(std::move(statement));
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
                       {"d1Exec", opExec},
                   });
}

} // namespace kiln
