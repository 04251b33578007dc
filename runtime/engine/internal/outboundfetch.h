#pragma once

#include "engine/internal/jsruntime.h"

namespace v8 {
class Object;
}

namespace kiln {

// The host half of fetch(): one HTTP/1.1 or HTTPS exchange per call, run by
// QNetworkAccessManager on the NetworkThread, with the response body pulled chunk by chunk.
// No redirect, cookie or cache logic lives here: the JS prelude (fetch.js) does what the
// Fetch spec says and uses these ops for the wire. Installs on `ops`:
//
//   fetchSetHandler(fn)        fn(id, kind, payload) receives every event below. It is kept
//                              in a private slot of `ops`, so C++ holds no V8 handle across
//                              tasks and nothing outlives the isolate.
//   fetchStart(method, url, headers, body) -> id
//                              headers: flat array [name0, value0, name1, value1, ...];
//                              body: ArrayBuffer/view or null (sent buffered). Answered by
//                              one "response" {status, statusText, url, headers (flat)} or
//                              one "error" {message, code}. A Set-Cookie value with several
//                              cookies joins them with "\n".
//   fetchRead(id)              asks for the next body chunk once "response" arrived; answered
//                              by one "chunk" (Uint8Array, <= 64 KiB), "end" or "error".
//   fetchCancel(id)            aborts the exchange; no further events for id.
//   fetchTimer(ms) -> id       a timer that does not keep the loop alive (AbortSignal.timeout);
//                              fires one "timer" event.
//   transferArrayBuffer(buf)   ArrayBuffer.prototype.transfer() for V8 10.2: detaches buf and
//   -> ArrayBuffer             returns a new buffer over the same memory. Byte streams (every
//                              fetch body) transfer each chunk through structuredClone.
//
// The loop is kept alive only while JS awaits an answer (after fetchStart/fetchRead until
// the event), so an unread body does not keep a finished script running. Events reach JS
// through runtime.loop().post(); V8 is only touched on the isolate thread.
void installFetchOps(const JsScope& scope, JsRuntime& runtime, v8::Local<v8::Object> ops);

} // namespace kiln
