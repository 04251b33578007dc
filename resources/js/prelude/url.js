// URL (WHATWG URL Standard). Parsing and the component setters are native (ada, the parser
// node uses; runtime/engine/urlops.cpp); this class keeps the serialized href plus ada's
// component offsets and slices the getters out of it, as node's URL does. URLSearchParams
// lives in searchparams.js and is tied to its URL both ways.
import { ops } from "./ops.js";
import { URLSearchParams, attachSearchParams, isURLSearchParams, parseQueryInto, serializeParams } from "./searchparams.js";
import { define, illegal, setTag } from "./util.js";

export { URLSearchParams, isURLSearchParams, serializeParams };

const OMITTED = 0xffffffff;
const SCHEME_NOT_SPECIAL = 1, SCHEME_FILE = 6, SCHEME_HTTP = 0, SCHEME_HTTPS = 2;
const FIELDS = { href: 0, protocol: 1, username: 2, password: 3, host: 4, hostname: 5, port: 6, pathname: 7, search: 8, hash: 9 };
const kState = Symbol("url");
// One scratch array for every parse: ops write the components here, and the state copies them.
const scratch = new Uint32Array(9);

function stateOf(url) {
  const st = url?.[kState];
  if (!st) throw illegal();
  return st;
}

// The state of a parsed URL: href and the components the getters need, as plain numbers.
function capture(href) {
  return {
    href,
    protocolEnd: scratch[0], usernameEnd: scratch[1], hostStart: scratch[2], hostEnd: scratch[3],
    port: scratch[4], pathnameStart: scratch[5], searchStart: scratch[6], hashStart: scratch[7],
    scheme: scratch[8], params: null,
  };
}

// Parses an absolute (or base-relative) URL; null when invalid. For Request, fetch and
// Response.redirect, which only need the result.
export function parseURL(input, base = undefined) {
  const href = ops.urlParse(String(input), base === undefined ? undefined : String(base), scratch);
  if (href === null) return null;
  const url = Object.create(URL.prototype);
  url[kState] = capture(href);
  return url;
}

function update(url, field, value) {
  const st = stateOf(url);
  const href = ops.urlUpdate(st.href, field, String(value), scratch);
  if (href === null) return false;
  const params = st.params;
  url[kState] = capture(href);
  if (params) {
    url[kState].params = params;
    if (field === FIELDS.href || field === FIELDS.search) parseQueryInto(params, url.search);
  }
  return true;
}

export class URL {
  constructor(url, base = undefined) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'URL': 1 argument required, but only 0 present.");
    const href = ops.urlParse(String(url), base === undefined ? undefined : String(base), scratch);
    if (href === null) throw new TypeError(`Invalid URL: ${String(url)}`);
    this[kState] = capture(href);
  }

  static canParse(url, base = undefined) {
    return ops.urlParse(String(url), base === undefined ? undefined : String(base), scratch) !== null;
  }

  static parse(url, base = undefined) {
    return parseURL(url, base);
  }

  get href() { return stateOf(this).href; }
  set href(value) {
    if (!update(this, FIELDS.href, value)) throw new TypeError(`Invalid URL: ${String(value)}`);
  }

  get origin() {
    const st = stateOf(this);
    const protocol = st.href.slice(0, st.protocolEnd);
    if (st.scheme === SCHEME_FILE) return "null";
    if (st.scheme !== SCHEME_NOT_SPECIAL) return `${protocol}//${this.host}`;
    if (protocol === "blob:") {
      // A blob: URL's origin is that of the URL in its path, when that is http(s).
      const inner = parseURL(this.pathname);
      if (inner && (inner[kState].scheme === SCHEME_HTTP || inner[kState].scheme === SCHEME_HTTPS)) return inner.origin;
    }
    return "null";
  }

  get protocol() { const st = stateOf(this); return st.href.slice(0, st.protocolEnd); }
  set protocol(value) { update(this, FIELDS.protocol, value); }

  get username() {
    const st = stateOf(this);
    return st.protocolEnd + 2 < st.usernameEnd ? st.href.slice(st.protocolEnd + 2, st.usernameEnd) : "";
  }
  set username(value) { update(this, FIELDS.username, value); }

  get password() {
    const st = stateOf(this);
    return st.hostStart - st.usernameEnd > 0 ? st.href.slice(st.usernameEnd + 1, st.hostStart) : "";
  }
  set password(value) { update(this, FIELDS.password, value); }

  get host() {
    const st = stateOf(this);
    let start = st.hostStart;
    if (st.href[start] === "@") start++;
    // With an empty host, what lies between host_end and pathname_start may be a "/".
    if (start === st.hostEnd) return "";
    return st.href.slice(start, st.pathnameStart);
  }
  set host(value) { update(this, FIELDS.host, value); }

  get hostname() {
    const st = stateOf(this);
    let start = st.hostStart;
    if (st.href[start] === "@") start++;
    return st.href.slice(start, st.hostEnd);
  }
  set hostname(value) { update(this, FIELDS.hostname, value); }

  get port() { const st = stateOf(this); return st.port === OMITTED ? "" : String(st.port); }
  set port(value) { update(this, FIELDS.port, value); }

  get pathname() {
    const st = stateOf(this);
    const end = st.searchStart !== OMITTED ? st.searchStart : st.hashStart !== OMITTED ? st.hashStart : st.href.length;
    return st.href.slice(st.pathnameStart, end);
  }
  set pathname(value) { update(this, FIELDS.pathname, value); }

  get search() {
    const st = stateOf(this);
    if (st.searchStart === OMITTED) return "";
    const end = st.hashStart !== OMITTED ? st.hashStart : st.href.length;
    return end - st.searchStart <= 1 ? "" : st.href.slice(st.searchStart, end);
  }
  set search(value) { update(this, FIELDS.search, value); }

  get searchParams() {
    const st = stateOf(this);
    if (!st.params) {
      st.params = new URLSearchParams(this.search);
      // Changes to the params rewrite this URL's query (and only the query).
      attachSearchParams(st.params, (query) => {
        const current = this[kState];
        const href = ops.urlUpdate(current.href, FIELDS.search, query, scratch);
        if (href === null) return;
        this[kState] = capture(href);
        this[kState].params = current.params;
      });
    }
    return st.params;
  }

  get hash() {
    const st = stateOf(this);
    return st.hashStart === OMITTED || st.href.length - st.hashStart <= 1 ? "" : st.href.slice(st.hashStart);
  }
  set hash(value) { update(this, FIELDS.hash, value); }

  toString() { return stateOf(this).href; }
  toJSON() { return stateOf(this).href; }
}
for (const name of ["href", "origin", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "searchParams", "hash", "toString", "toJSON"])
  Object.defineProperty(URL.prototype, name, { enumerable: true });
setTag(URL, "URL");

const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

// String.prototype.toWellFormed / isWellFormed (ES2024): workerd's V8 has both, V8 10.2
// neither, so installing spec-exact versions brings Kiln closer to it.
function installWellFormed() {
  const proto = String.prototype;
  const stringOf = (self, name) => {
    if (self === null || self === undefined) throw new TypeError(`String.prototype.${name} called on null or undefined`);
    return String(self);
  };
  if (!proto.toWellFormed)
    define(proto, "toWellFormed", { toWellFormed() { return stringOf(this, "toWellFormed").replace(LONE_SURROGATES, "\uFFFD"); } }.toWellFormed);
  if (!proto.isWellFormed)
    define(proto, "isWellFormed", { isWellFormed() { LONE_SURROGATES.lastIndex = 0; return !LONE_SURROGATES.test(stringOf(this, "isWellFormed")); } }.isWellFormed);
}

export function installURL(g) {
  installWellFormed();
  define(g, "URL", URL);
  define(g, "URLSearchParams", URLSearchParams);
}
