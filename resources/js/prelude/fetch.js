// fetch(): the Fetch Standard's HTTP-network fetch over the host ops in
// runtime/engine/outboundfetch.cpp. The host does one exchange per call; redirects, abort
// and body streaming are done here so that they follow the spec (and workerd) exactly:
//  - redirect "follow" (max 20, 301/302 POST and 303 become GET without body, Authorization
//    dropped across origins), "manual" (the 3xx response is returned as is, as workerd
//    does), "error" (TypeError);
//  - network failures reject with TypeError("fetch failed") whose `cause` says why;
//  - the response body is a byte stream that asks the host for one chunk per pull, so a
//    large body is never held in memory.
import { kBody, readAll, streamBody } from "./body.js";
import { addAbortAlgorithm, releaseSignal } from "./events.js";
import { headerPairs, headersFromHost } from "./headers.js";
import { listen, unlisten } from "./hostevents.js";
import { Request, requestState } from "./request.js";
import { NULL_BODY_STATUS, isRedirectStatus, responseFromNetwork } from "./response.js";
import { ReadableStream } from "./streams.js";
import { blobBytes } from "./blob.js";
import { parseURL } from "./url.js";

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
async function requestBytes(request) {
  const body = request[kBody];
  if (!body) return null;
  if (body.used || (body.stream && body.stream.locked)) throw new TypeError("Body has already been used. It can only be used once. Use tee() first if you need to read it twice.");
  if (!body.stream) {
    body.used = true;
    return body.bytes ?? blobBytes(body.blob);
  }
  return readAll(body.stream);
}

export function makeFetch(ops) {
  // One exchange: resolves with the host's "response" payload plus its id.
  function exchange(method, url, headers, body, signal) {
    return new Promise((resolve, reject) => {
      const flat = [];
      for (const [name, value] of headers) if (!HOST_MANAGED_HEADERS.has(name)) flat.push(name, value);
      const id = ops.fetchStart(method, url, flat, body);
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
    const finish = () => { finished = true; unlisten(id); removeAbort(); releaseSignal(signal); };
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
    // Aborting after the headers arrived errors the body with the signal's reason.
    const removeAbort = addAbortAlgorithm(signal, (reason) => {
      if (finished) return;
      finish();
      ops.fetchCancel(id);
      controller.error(reason);
    });
    return stream;
  }

  async function fetch(input, init = undefined) {
    const request = new Request(input, init);
    try {
      return await run(request);
    } catch (error) {
      releaseSignal(requestState(request).signal);
      throw error;
    }
  }

  async function run(request) {
    const { method: initialMethod, url: initialUrl, redirect, signal } = requestState(request);
    if (signal.aborted) throw signal.reason;
    let url = parseURL(initialUrl);
    let method = initialMethod;
    let headers = headerPairs(request.headers);
    let body = await requestBytes(request);
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
