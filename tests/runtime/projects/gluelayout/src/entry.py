# Reads Emscripten's dynamic-linking state out of Pyodide's module object: every function
# table slot (the function's name, which is its index in the module that made it, and its
# arity) and the GOT value of each symbol the main module exports; and the import-name ->
# package-name map Pyodide gives Python for ModuleNotFoundError notes.
# tests/runtime/gluelayout-node.mjs reads the same from Pyodide's own, unpatched glue in node.
import json

import js
from _pyodide import _importhook
import pyodide_js
from workers import Response, WorkerEntrypoint


def describe(entry):
    name = getattr(entry, "name", None)
    return "-" if name is None else f"{name}/{entry.length}"


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        module = pyodide_js._module
        table = module.wasmTable
        slots = [describe(table.get(i)) for i in range(table.length)]
        main = js.Reflect.get(module.LDSO.loadedLibsByName, "__main__").exports
        # Kiln's glue keeps the main module's exports behind the symbol table as its
        # prototype (runtime/engine/pyodidepatches.cpp): list both, as one table would.
        names = list(js.Object.keys(main))
        behind = js.Object.getPrototypeOf(main)
        if behind is not None and not getattr(js.Object, "is")(behind, js.Object.prototype):
            seen = set(names)
            names += [n for n in js.Object.keys(behind) if n not in seen]
        got = {}
        for name in names:
            entry = js.Reflect.get(module.GOT, name)
            got[name] = None if entry is None else entry.value
        notes = _importhook.REPODATA_PACKAGES_IMPORT_TO_PACKAGE_NAME
        # Module keys of exports the glue never names itself (Kiln answers them on demand)
        # and of one it does: each is the export's function, of its arity.
        keys = {}
        for key in ("_PyObject_GetAttrString", "_PyLong_FromLong", "_malloc"):
            value = getattr(module, key, None)
            keys[key] = None if value is None else describe(value)
        return Response(json.dumps({"table": slots, "got": got, "importNotes": notes,
                                    "moduleKeys": keys}))
