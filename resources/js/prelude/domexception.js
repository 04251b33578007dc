// DOMException (WebIDL). Raw V8 has none; workerd, the streams polyfill and AbortSignal all
// need one, and `instanceof DOMException` must hold for the reasons they produce.
import { define, setTag } from "./util.js";

const LEGACY_CODES = {
  IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5,
  NoModificationAllowedError: 7, NotFoundError: 8, NotSupportedError: 9, InUseAttributeError: 10,
  InvalidStateError: 11, SyntaxError: 12, InvalidModificationError: 13, NamespaceError: 14,
  InvalidAccessError: 15, TypeMismatchError: 17, SecurityError: 18, NetworkError: 19,
  AbortError: 20, URLMismatchError: 21, QuotaExceededError: 22, TimeoutError: 23,
  InvalidNodeTypeError: 24, DataCloneError: 25,
};
const CONSTANTS = [
  "INDEX_SIZE_ERR", "DOMSTRING_SIZE_ERR", "HIERARCHY_REQUEST_ERR", "WRONG_DOCUMENT_ERR",
  "INVALID_CHARACTER_ERR", "NO_DATA_ALLOWED_ERR", "NO_MODIFICATION_ALLOWED_ERR", "NOT_FOUND_ERR",
  "NOT_SUPPORTED_ERR", "INUSE_ATTRIBUTE_ERR", "INVALID_STATE_ERR", "SYNTAX_ERR",
  "INVALID_MODIFICATION_ERR", "NAMESPACE_ERR", "INVALID_ACCESS_ERR", "VALIDATION_ERR",
  "TYPE_MISMATCH_ERR", "SECURITY_ERR", "NETWORK_ERR", "ABORT_ERR", "URL_MISMATCH_ERR",
  "QUOTA_EXCEEDED_ERR", "TIMEOUT_ERR", "INVALID_NODE_TYPE_ERR", "DATA_CLONE_ERR",
];

const kName = Symbol("name");

// Extends Error so that it has a stack and Error.prototype in its chain, as WebIDL says.
export class DOMException extends Error {
  constructor(message = "", options = "Error") {
    super(String(message));
    let name = "Error";
    if (options !== null && typeof options === "object") {
      if (options.name !== undefined) name = String(options.name);
      if ("cause" in options) define(this, "cause", options.cause);
    } else if (options !== undefined) {
      name = String(options);
    }
    Object.defineProperty(this, kName, { value: name });
    // Re-capture so the stack's first line reads "AbortError: ..." rather than "Error: ...".
    if (Error.captureStackTrace) Error.captureStackTrace(this, DOMException);
  }
  get name() { return this[kName]; }
  get code() { return LEGACY_CODES[this[kName]] || 0; }
}
setTag(DOMException, "DOMException");
CONSTANTS.forEach((constant, i) => {
  const descriptor = { value: i + 1, enumerable: true };
  Object.defineProperty(DOMException, constant, descriptor);
  Object.defineProperty(DOMException.prototype, constant, descriptor);
});
