// Faster JS -> Python strings for the common case.
//
// Pyodide turns every JS string bound for Python into a Uint32Array of its code points (an
// ArrayBuffer allocated and later swept, per string) before copying them one by one into
// the new Python string: about a microsecond and a half for a 70-character string, more
// than a D1 point read spends in SQLite's B-tree. Most strings that cross are ASCII (the
// bindings' JSON, keys, header values). Those are copied straight into a new compact ASCII
// Python string, one pass and no allocation on the JS side; at the first other character
// the new string is dropped and Pyodide's own path takes over.
//
// Pyodide looks the converter up on its module at every conversion
// (`Module.js2python_convertImmutable`); the functions used here are exports of its C API.
// installFastStrings() returns false, changing nothing, if any of them is missing.
const NEEDED = ["js2python_convertImmutable", "_PyUnicode_New", "_PyUnicode_Data", "_Py_DecRef", "HEAPU8"];

export function installFastStrings(module) {
  if (!NEEDED.every((name) => module[name] !== undefined)) return false;
  const pyodideConvert = module.js2python_convertImmutable;
  module.js2python_convertImmutable = (value) => {
    if (typeof value !== "string") return pyodideConvert(value);
    const length = value.length;
    const object = module._PyUnicode_New(length, 127); // compact ASCII
    if (object === 0) {
      module._PyErr_Clear?.();
      return pyodideConvert(value); // raises Python's MemoryError its own way
    }
    const heap = module.HEAPU8; // read after the allocation, which may have grown memory
    const data = module._PyUnicode_Data(object);
    for (let i = 0; i < length; i++) {
      const c = value.charCodeAt(i);
      if (c > 127) {
        module._Py_DecRef(object);
        return pyodideConvert(value);
      }
      heap[data + i] = c;
    }
    return object;
  };
  return true;
}
