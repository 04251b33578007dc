#include "engine/internal/urlops.h"

#include "engine/adaurl.h"
#include "engine/internal/opstable.h"

#include <v8-array-buffer.h>
#include <v8-external.h>
#include <v8-function.h>
#include <v8-object.h>
#include <v8-primitive.h>
#include <v8-template.h>
#include <v8-typed-array.h>

#include <string>

namespace kiln {

namespace {

using Args = const v8::FunctionCallbackInfo<v8::Value>&;

// A JS string as UTF-8, lone surrogates replaced by U+FFFD (the USVString conversion the
// URL standard's IDL asks for). Short strings, the common case, stay on the stack.
class Utf8 {
public:
    Utf8(v8::Isolate* isolate, v8::Local<v8::Value> value) {
        v8::Local<v8::String> text;
        if (!value->ToString(isolate->GetCurrentContext()).ToLocal(&text)) return;
        const int length = text->Utf8Length(isolate);
        char* out = m_stack;
        if (static_cast<size_t>(length) > sizeof m_stack) {
            m_heap.resize(static_cast<size_t>(length));
            out = m_heap.data();
        }
        m_size = static_cast<size_t>(
            text->WriteUtf8(isolate, out, length, nullptr,
                            v8::String::REPLACE_INVALID_UTF8 | v8::String::NO_NULL_TERMINATION));
        m_data = out;
    }
    const char* data() const { return m_data; }
    size_t size() const { return m_size; }
    bool ok() const { return m_data != nullptr; }

private:
    char m_stack[512];
    std::string m_heap;
    const char* m_data = nullptr;
    size_t m_size = 0;
};

// Owns one parsed URL.
struct Url {
    ada_url url;
    explicit Url(ada_url u)
        : url(u) {}
    ~Url() { ada_free(url); }
    Url(const Url&) = delete;
    Url& operator=(const Url&) = delete;
    bool valid() const { return ada_is_valid(url); }
};

// Returns href and fills `out` with the components, or null for an invalid URL.
void answer(Args args, const Url& parsed, v8::Local<v8::Value> out) {
    auto* isolate = args.GetIsolate();
    if (!parsed.valid()) return args.GetReturnValue().SetNull();
    if (out->IsUint32Array() && out.As<v8::Uint32Array>()->Length() >= 9) {
        auto array = out.As<v8::Uint32Array>();
        auto* slots = reinterpret_cast<uint32_t*>(static_cast<char*>(array->Buffer()->Data()) +
                                                  array->ByteOffset());
        const ada_url_components* c = ada_get_components(parsed.url);
        const uint32_t values[9] = {
            c->protocol_end, c->username_end, c->host_start,
            c->host_end,     c->port,         c->pathname_start,
            c->search_start, c->hash_start,   ada_get_scheme_type(parsed.url)};
        std::copy(std::begin(values), std::end(values), slots);
    }
    const ada_string href = ada_get_href(parsed.url);
    v8::Local<v8::String> result;
    if (!v8::String::NewFromOneByte(isolate, reinterpret_cast<const uint8_t*>(href.data),
                                    v8::NewStringType::kNormal, static_cast<int>(href.length))
             .ToLocal(&result))
        return;
    args.GetReturnValue().Set(result);
}

void opParse(Args args) {
    auto* isolate = args.GetIsolate();
    const Utf8 input(isolate, args[0]);
    if (!input.ok()) return;
    if (args[1]->IsUndefined())
        return answer(args, Url(ada_parse(input.data(), input.size())), args[2]);
    const Utf8 base(isolate, args[1]);
    if (!base.ok()) return;
    answer(args, Url(ada_parse_with_base(input.data(), input.size(), base.data(), base.size())),
           args[2]);
}

void opUpdate(Args args) {
    auto* isolate = args.GetIsolate();
    const Utf8 href(isolate, args[0]);
    const Utf8 value(isolate, args[2]);
    if (!href.ok() || !value.ok()) return;
    Url parsed(ada_parse(href.data(), href.size()));
    if (!parsed.valid()) return args.GetReturnValue().SetNull();
    const char* v = value.data();
    const size_t n = value.size();
    bool accepted = true;
    switch (args[1]->Int32Value(isolate->GetCurrentContext()).FromMaybe(-1)) {
    case 0:
        accepted = ada_set_href(parsed.url, v, n);
        break;
    case 1:
        accepted = ada_set_protocol(parsed.url, v, n);
        break;
    case 2:
        accepted = ada_set_username(parsed.url, v, n);
        break;
    case 3:
        accepted = ada_set_password(parsed.url, v, n);
        break;
    case 4:
        accepted = ada_set_host(parsed.url, v, n);
        break;
    case 5:
        accepted = ada_set_hostname(parsed.url, v, n);
        break;
    case 6:
        accepted = ada_set_port(parsed.url, v, n);
        break;
    case 7:
        accepted = ada_set_pathname(parsed.url, v, n);
        break;
    case 8:
        ada_set_search(parsed.url, v, n);
        break;
    case 9:
        ada_set_hash(parsed.url, v, n);
        break;
    default:
        accepted = false;
    }
    if (!accepted) return args.GetReturnValue().SetNull();
    answer(args, parsed, args[3]);
}

template <ada_owned_string (*convert)(const char*, size_t)> void opDomain(Args args) {
    auto* isolate = args.GetIsolate();
    const Utf8 input(isolate, args[0]);
    if (!input.ok()) return;
    const ada_owned_string out = convert(input.data(), input.size());
    v8::Local<v8::String> result;
    if (v8::String::NewFromUtf8(isolate, out.data ? out.data : "", v8::NewStringType::kNormal,
                                static_cast<int>(out.data ? out.length : 0))
            .ToLocal(&result))
        args.GetReturnValue().Set(result);
    ada_free_owned_string(out);
}

} // namespace

void installUrlOps(const JsScope& scope, JsRuntime& runtime, v8::Local<v8::Object> ops) {
    installOpTable(scope, ops, &runtime,
                   {
                       {"urlParse", opParse},
                       {"urlUpdate", opUpdate},
                       {"domainToASCII", opDomain<ada_idna_to_ascii>},
                       {"domainToUnicode", opDomain<ada_idna_to_unicode>},
                   });
}

} // namespace kiln
