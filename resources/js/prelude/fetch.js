// fetch(): the Fetch Standard's HTTP-network fetch over the host ops in
// runtime/engine/outboundfetch.cpp. The host does one exchange per call; redirects, abort
// and body streaming are done here so that they follow the spec (and workerd) exactly:
//  - redirect "follow" (max 20, 301/302 POST and 303 become GET without body, Authorization
//    dropped across origins), "manual" (the 3xx response is returned as is, as workerd
//    does), "error" (TypeError);
//  - network failures reject with TypeError("fetch failed") whose `cause` says why;
//  - the response body is a byte stream that asks the host for one chunk per pull, so a
//    large body is never held in memory.
import { consumeBytes, kBody, streamBody } from "./body.js";
import { addAbortAlgorithm, releaseSignal } from "./events.js";
import { headerPairs, headersFromHost } from "./headers.js";
import { listen, unlisten } from "./hostevents.js";
import { Request, requestState } from "./request.js";
import { NULL_BODY_STATUS, isRedirectStatus, responseFromNetwork } from "./response.js";
import { ReadableStream } from "./streams.js";
import { parseURL } from "./url.js";
import { promising } from "./util.js";

const MAX_REDIRECTS = 20;
const REQUEST_BODY_HEADERS = ["content-encoding", "content-language", "content-location", "content-type"];
// The host (Qt) computes these from the URL and the body it is given.
const HOST_MANAGED_HEADERS = new Set(["host", "content-length", "transfer-encoding", "connection"]);

function networkError(message, code = undefined) {
  const cause = new Error(message);
  if (code !== undefined) cause.code = code;
  return new TypeError("fetch failed", { cause });
}

// The request body, read to the end: the host sends bodies from one buffer for now.
// Streaming request bodies would need a pull-based upload device on the network thread.
function requestBytes(request) {
  const body = request[kBody];
  if (!body) return Promise.resolve(null);
  return consumeBytes(body).then(({ bytes }) => bytes);
}

export function makeFetch(ops) {
  // A response whose body nobody reads or cancels still holds a connection and up to 256 KiB
  // on the network thread; once the stream is garbage, cancel the exchange (as workerd does
  // when it collects an unread body) so a long-lived isolate does not accumulate them.
  const unreadBodies = new FinalizationRegistry((id) => ops.fetchCancel(id));

  // One exchange: resolves with the host's "response" payload plus its id.
  function exchange(method, url, headers, body, signal) {
    return new Promise((resolve, reject) => {
      const flat = [];
      for (const [name, value] of headers) if (!HOST_MANAGED_HEADERS.has(name)) flat.push(name, value);
      let id;
      try {
        id = ops.fetchStart(method, url, flat, body);
      } catch (error) {
        globalThis.queueMicrotask(() => reject(error)); // see rejectLater
        return;
      }
      const removeAbort = addAbortAlgorithm(signal, (reason) => {
        unlisten(id);
        ops.fetchCancel(id);
        reject(reason);
      });
      listen(id, (kind, payload) => {
        unlisten(id);
        removeAbort();
        if (kind === "response") resolve({ id, ...payload });
        else reject(networkError(payload?.message ?? "unexpected host event", payload?.code));
      });
    });
  }

  function bodyFromHost(id, signal) {
    let finished = false;
    let controller;
    const token = {};
    const finish = () => {
      finished = true;
      unlisten(id);
      removeAbort();
      releaseSignal(signal);
      unreadBodies.unregister(token);
    };
    const stream = new ReadableStream({
      type: "bytes",
      start(c) { controller = c; },
      pull(c) {
        return new Promise((resolve, reject) => {
          listen(id, (kind, payload) => {
            if (kind === "chunk") {
              c.enqueue(payload);
              resolve();
            } else if (kind === "end") {
              finish();
              c.close();
              c.byobRequest?.respond(0); // a BYOB read waiting on the end gets zero bytes
              resolve();
            } else {
              finish();
              reject(networkError(payload?.message ?? "unexpected host event", payload?.code));
            }
          });
          ops.fetchRead(id);
        });
      },
      cancel() {
        if (finished) return;
        finish();
        ops.fetchCancel(id);
      },
    }, { highWaterMark: 0 });
    unreadBodies.register(stream, id, token);
    // Aborting after the headers arrived errors the body with the signal's reason.
    const removeAbort = addAbortAlgorithm(signal, (reason) => {
      if (finished) return;
      finish();
      ops.fetchCancel(id);
      controller.error(reason);
    });
    return stream;
  }

  // Not async: argument errors and an already-aborted signal must reject a microtask later
  // (see rejectLater), and run() must not throw before its first await for the same reason.
  const fetch = promising(function fetch(input, init = undefined) {
    const request = new Request(input, init);
    const { signal } = requestState(request);
    if (signal.aborted) throw signal.reason;
    return run(request).catch((error) => {
      releaseSignal(signal);
      throw error;
    });
  });
  Object.defineProperty(fetch, "name", { value: "fetch" });

  async function run(request) {
    const { method: initialMethod, url: initialUrl, redirect, signal } = requestState(request);
    let body = await requestBytes(request);
    let url = parseURL(initialUrl);
    let method = initialMethod;
    let headers = headerPairs(request.headers);
    let redirects = 0;
    for (;;) {
      if (url.protocol !== "http:" && url.protocol !== "https:")
        throw new TypeError(`Fetch API cannot load: ${url.href}`);
      if (signal.aborted) throw signal.reason;
      const wireUrl = url.href.split("#")[0];
      const answer = await exchange(method, wireUrl, headers, body, signal);
      const responseHeaders = headersFromHost(answer.headers, "immutable");
      const location = responseHeaders.get("location");
      if (isRedirectStatus(answer.status) && location !== null && redirect !== "manual") {
        ops.fetchCancel(answer.id);
        if (redirect === "error") throw networkError(`redirect mode is "error" but ${wireUrl} redirected to ${location}`);
        const next = parseURL(location, url.href);
        if (!next) throw networkError(`invalid redirect location: ${location}`);
        if (next.protocol !== "http:" && next.protocol !== "https:") throw networkError(`redirect to a non-HTTP(S) URL: ${next.href}`);
        if (++redirects > MAX_REDIRECTS) throw networkError("too many redirects");
        if ((answer.status === 303 && method !== "GET" && method !== "HEAD")
            || ((answer.status === 301 || answer.status === 302) && method === "POST")) {
          method = "GET";
          body = null;
          headers = headers.filter(([name]) => !REQUEST_BODY_HEADERS.includes(name));
        }
        if (next.origin !== url.origin) headers = headers.filter(([name]) => name !== "authorization");
        if (!next.hash && url.hash) next.hash = url.hash;
        url = next;
        continue;
      }
      // HEAD and null-body statuses have no body to stream: release the exchange now.
      const bodyless = method === "HEAD" || NULL_BODY_STATUS.has(answer.status);
      if (bodyless) {
        ops.fetchCancel(answer.id);
        releaseSignal(signal);
      }
      return responseFromNetwork({
        status: answer.status,
        statusText: answer.statusText,
        headers: responseHeaders,
        url: wireUrl,
        redirected: redirects > 0,
        body: bodyless ? null : streamBody(bodyFromHost(answer.id, signal)),
      });
    }
  }
  return fetch;
}
