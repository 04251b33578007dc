// A minimal harness for `kiln js` scripts: one line per check ("ok - name" or
// "not ok - name -- detail") and a final "# N passed, M failed". test_webapis.cpp fails on
// any "not ok", a non-zero exit, or a missing or inconsistent summary line.
let passed = 0;
let failed = 0;

function show(value) {
  try {
    if (typeof value === "string") return JSON.stringify(value);
    if (value instanceof Error) return `${value.name}: ${value.message}`;
    if (ArrayBuffer.isView(value)) return `${value.constructor.name}[${Array.from(value.slice(0, 16))}${value.length > 16 ? ",..." : ""}]`;
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function check(name, condition, detail = undefined) {
  if (condition) {
    passed++;
    console.log(`ok - ${name}`);
  } else {
    failed++;
    console.log(`not ok - ${name}${detail === undefined ? "" : ` -- ${detail}`}`);
  }
}

export function equal(name, actual, expected) {
  check(name, Object.is(actual, expected), `got ${show(actual)}, expected ${show(expected)}`);
}

export function same(name, actual, expected) {
  const a = show(actual), e = show(expected);
  check(name, a === e, `got ${a}, expected ${e}`);
}

// Passes when fn (sync or async) throws/rejects with an instance of `type` (and, if given,
// an error whose name is `errorName`).
export async function throws(name, fn, type, errorName = undefined) {
  try {
    await fn();
  } catch (error) {
    const okType = error instanceof type;
    const okName = errorName === undefined || (error && error.name === errorName);
    check(name, okType && okName, `threw ${show(error)}${okType ? "" : `, not a ${type.name}`}`);
    return error;
  }
  check(name, false, "did not throw");
  return undefined;
}

// Runs a group of checks; an unexpected exception counts as one failed check.
export async function test(name, fn) {
  try {
    await fn();
  } catch (error) {
    check(`${name} (threw)`, false, `${show(error)}\n${error && error.stack}`);
  }
}

export function done() {
  console.log(`# ${passed} passed, ${failed} failed`);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function readAllChunks(stream) {
  const reader = stream.getReader();
  const chunks = [];
  for (;;) {
    const { done: end, value } = await reader.read();
    if (end) return chunks;
    chunks.push(value);
  }
}

export function bytesEqual(a, b) {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
