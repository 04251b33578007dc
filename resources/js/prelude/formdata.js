// FormData (XHR Standard) and its two wire formats: multipart/form-data (serialised for
// request/response bodies with a random boundary, parsed by Body.formData()) and
// application/x-www-form-urlencoded (parsed by searchparams.js).
import { Blob, File, blobBytes, blobFromBytes } from "./blob.js";
import { parseUrlencodedBytes } from "./searchparams.js";
import { concat, illegal, indexOfBytes, setTag, toUSVString, utf8Decode, utf8Encode } from "./util.js";

const kEntries = Symbol("entries");

function entriesOf(fd) {
  const entries = fd?.[kEntries];
  if (!entries) throw illegal();
  return entries;
}

// "Create an entry": Blobs become Files (named "blob" unless a filename is given).
function makeEntry(name, value, filename, argc, method) {
  name = toUSVString(name);
  if (value instanceof Blob) {
    const isFile = value instanceof File;
    if (!isFile || filename !== undefined) {
      const fileName = filename !== undefined ? toUSVString(filename) : isFile ? value.name : "blob";
      const options = { type: value.type };
      if (isFile) options.lastModified = value.lastModified;
      value = new File([value], fileName, options);
    }
  } else {
    if (argc > 2) throw new TypeError(`Failed to execute '${method}' on 'FormData': parameter 2 is not of type 'Blob'.`);
    value = toUSVString(value);
  }
  return [name, value];
}

function required(argc, n, method) {
  if (argc < n) throw new TypeError(`Failed to execute '${method}' on 'FormData': ${n} arguments required, but only ${argc} present.`);
}

// An undefined filename counts as none, as in workerd (whose filename is optional): Python
// callers pass None for it.
function argumentCount(args) {
  return args.length > 2 && args[2] === undefined ? 2 : args.length;
}

export class FormData {
  constructor(form = undefined) {
    // There are no form elements outside a document (workerd says the same).
    if (form !== undefined) throw new TypeError("FormData does not support an HTMLFormElement argument");
    Object.defineProperty(this, kEntries, { value: [] });
  }
  append(name, value, filename = undefined) {
    required(arguments.length, 2, "append");
    entriesOf(this).push(makeEntry(name, value, filename, argumentCount(arguments), "append"));
  }
  delete(name) {
    required(arguments.length, 1, "delete");
    const entries = entriesOf(this);
    name = toUSVString(name);
    for (let i = entries.length - 1; i >= 0; i--) if (entries[i][0] === name) entries.splice(i, 1);
  }
  get(name) {
    required(arguments.length, 1, "get");
    name = toUSVString(name);
    const entry = entriesOf(this).find((e) => e[0] === name);
    return entry ? entry[1] : null;
  }
  getAll(name) {
    required(arguments.length, 1, "getAll");
    name = toUSVString(name);
    return entriesOf(this).filter((e) => e[0] === name).map((e) => e[1]);
  }
  has(name) {
    required(arguments.length, 1, "has");
    name = toUSVString(name);
    return entriesOf(this).some((e) => e[0] === name);
  }
  set(name, value, filename = undefined) {
    required(arguments.length, 2, "set");
    const entries = entriesOf(this);
    const entry = makeEntry(name, value, filename, argumentCount(arguments), "set");
    const first = entries.findIndex((e) => e[0] === entry[0]);
    if (first < 0) { entries.push(entry); return; }
    entries[first] = entry;
    for (let i = entries.length - 1; i > first; i--) if (entries[i][0] === entry[0]) entries.splice(i, 1);
  }
  forEach(callback, thisArg = undefined) {
    if (typeof callback !== "function") throw new TypeError("The callback must be a function");
    for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
  }
  // Live iterators, as WebIDL's pair iterators are: each step reads the current list.
  *entries() {
    const entries = entriesOf(this);
    for (let i = 0; i < entries.length; i++) yield [entries[i][0], entries[i][1]];
  }
  *keys() { for (const [name] of this.entries()) yield name; }
  *values() { for (const [, value] of this.entries()) yield value; }
}
FormData.prototype[Symbol.iterator] = FormData.prototype.entries;
setTag(FormData, "FormData");

// --- multipart/form-data serialisation (HTML "multipart/form-data encoding algorithm") ---

const normalizeNewlines = (s) => s.replace(/\r(?!\n)|(?<!\r)\n/g, "\r\n");
const escapeName = (s) => s.replace(/\n/g, "%0A").replace(/\r/g, "%0D").replace(/"/g, "%22");

function randomBoundary() {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(12));
  return `----KilnFormBoundary${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

// -> { bytes, contentType }
export function serializeMultipart(formData) {
  const boundary = randomBoundary();
  const chunks = [];
  for (const [name, value] of entriesOf(formData)) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(normalizeNewlines(name))}"`;
    if (typeof value === "string") {
      chunks.push(utf8Encode(`${head}\r\n\r\n${normalizeNewlines(value)}\r\n`));
    } else {
      head += `; filename="${escapeName(value.name)}"\r\nContent-Type: ${value.type || "application/octet-stream"}\r\n\r\n`;
      chunks.push(utf8Encode(head), blobBytes(value), utf8Encode("\r\n"));
    }
  }
  chunks.push(utf8Encode(`--${boundary}--\r\n`));
  return { bytes: concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

// --- parsing, for Body.formData() ---

function parseError(why) {
  return new TypeError(`Failed to parse body as FormData: ${why}`);
}

// A parameter of a Content-Type / Content-Disposition value, quoted or not.
function headerParameter(value, name) {
  const re = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]*))`, "i");
  const match = re.exec(value);
  return match ? (match[1] !== undefined ? match[1] : match[2]) : undefined;
}

// Names are sent with %0A, %0D and %22 escapes (see escapeName); the Fetch spec undoes them.
const unescapeName = (s) => s.replace(/%0A/gi, "\n").replace(/%0D/gi, "\r").replace(/%22/g, '"');

const HEADER_END = new Uint8Array([13, 10, 13, 10]);

export function parseMultipart(bytes, contentType) {
  const boundary = headerParameter(contentType, "boundary");
  if (!boundary) throw parseError("missing multipart boundary");
  const delimiter = utf8Encode(`--${boundary}`);
  const nextDelimiter = utf8Encode(`\r\n--${boundary}`);
  const result = new FormData();
  let pos = indexOfBytes(bytes, delimiter, 0);
  if (pos < 0) throw parseError("no boundary found");
  pos += delimiter.length;
  for (;;) {
    if (bytes[pos] === 0x2d && bytes[pos + 1] === 0x2d) return result; // closing "--boundary--"
    while (bytes[pos] === 0x20 || bytes[pos] === 0x09) pos++; // transport padding
    if (bytes[pos] !== 13 || bytes[pos + 1] !== 10) throw parseError("malformed boundary line");
    pos += 2;
    let headerText = "", bodyStart;
    if (bytes[pos] === 13 && bytes[pos + 1] === 10) {
      bodyStart = pos + 2;
    } else {
      const headerEnd = indexOfBytes(bytes, HEADER_END, pos);
      if (headerEnd < 0) throw parseError("unterminated part headers");
      headerText = utf8Decode(bytes.subarray(pos, headerEnd));
      bodyStart = headerEnd + 4;
    }
    const bodyEnd = indexOfBytes(bytes, nextDelimiter, bodyStart);
    if (bodyEnd < 0) throw parseError("unterminated part");
    const headers = new Map();
    for (const line of headerText.split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const disposition = headers.get("content-disposition");
    if (!disposition || !/^form-data\s*(;|$)/i.test(disposition)) throw parseError("part without Content-Disposition: form-data");
    const name = headerParameter(disposition, "name");
    if (name === undefined) throw parseError("part without a name");
    const filename = headerParameter(disposition, "filename");
    const body = bytes.subarray(bodyStart, bodyEnd);
    if (filename !== undefined) {
      // RFC 7578 4.4: a part's Content-Type defaults to text/plain.
      const file = blobFromBytes(body.slice(), headers.get("content-type") || "text/plain", unescapeName(filename));
      result.append(unescapeName(name), file);
    } else {
      result.append(unescapeName(name), utf8Decode(body));
    }
    pos = bodyEnd + nextDelimiter.length;
  }
}

export function parseUrlencoded(bytes) {
  const result = new FormData();
  for (const [name, value] of parseUrlencodedBytes(bytes)) result.append(name, value);
  return result;
}
