// The first module the bundle evaluates (index.js imports it before anything else). It takes
// the host ops and installs what the bundled polyfills read from globalThis while *they*
// load: web-streams-polyfill captures DOMException at module evaluation.
import { installBasics } from "./basics.js";
import { DOMException } from "./domexception.js";
import { define } from "./util.js";

export const ops = globalThis.__kiln_ops;
delete globalThis.__kiln_ops;
installBasics(globalThis, ops);
define(globalThis, "DOMException", DOMException);
