// The Web API surface of a Kiln isolate, built over the host ops. esbuild bundles this
// file (with the npm polyfills it imports) into one classic script the engine runs first.
import { installBasics } from "./basics.js";

const ops = globalThis.__kiln_ops;
delete globalThis.__kiln_ops;
installBasics(globalThis, ops);
// The boot modules need the file ops; worker code must not see them.
globalThis.__kiln_boot = { ops };
