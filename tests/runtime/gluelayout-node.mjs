// Pyodide's own glue, unpatched, under node: prints the function table and the GOT value of
// each symbol the main module exports (and Python's import-name -> package map, and a few of
// Module's export keys), as tests/runtime/projects/gluelayout reads them in Kiln. Usage: node gluelayout.mjs PYODIDE_DIR
import { pathToFileURL } from "node:url";

const dir = process.argv[2].replace(/\/?$/, "/");
const { loadPyodide } = await import(pathToFileURL(dir + "pyodide.mjs"));
const pyodide = await loadPyodide({ indexURL: dir });
const module = pyodide._module;
const table = [];
for (let i = 0; i < module.wasmTable.length; i++) {
  const entry = module.wasmTable.get(i);
  table.push(entry === null ? "-" : `${entry.name}/${entry.length}`);
}
const got = {};
for (const name of Object.keys(module.LDSO.loadedLibsByName.__main__.exports)) {
  const entry = module.GOT[name];
  got[name] = entry === undefined ? null : entry.value;
}
const importNotes = JSON.parse(pyodide.runPython(
  "import json\nfrom _pyodide import _importhook\njson.dumps(_importhook.REPODATA_PACKAGES_IMPORT_TO_PACKAGE_NAME)"));
const moduleKeys = {};
for (const key of ["_PyObject_GetAttrString", "_PyLong_FromLong", "_malloc"]) {
  const value = module[key];
  moduleKeys[key] = typeof value === "function" ? `${value.name}/${value.length}` : null;
}
process.stdout.write(JSON.stringify({ table, got, importNotes, moduleKeys }));
