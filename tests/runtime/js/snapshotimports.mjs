// What the package snapshot imports: resources/js/snapshots.mjs reads a project's Python files
// as text for the modules they import at module level.
import { check, done, same, test } from "./_harness.mjs";
import { scanImports } from "../../../resources/js/snapshots.mjs";

const scan = (text) => [...scanImports(text)].sort();

await test("statements", () => {
  same("import, as, commas", scan("import os\nimport json as j, re\nimport a.b.c as d  # note\n"),
    ["a.b.c", "json", "os", "re"]);
  same("from imports", scan("from urllib.parse import urlparse\nfrom x import (a,\n  b)\n"),
    ["urllib.parse", "x"]);
  same("relative imports are the project's", scan("from . import sib\nfrom .pkg import y\n"), []);
  same("a continued line", scan("import os, \\\n    sys\n"), ["os", "sys"]);
});

await test("what runs at import only", () => {
  same("module-level try and if count",
    scan("try:\n    import ujson as json\nexcept ImportError:\n    import json\nif True:\n    import csv\n"),
    ["csv", "json", "ujson"]);
  same("function and class bodies do not",
    scan("def f():\n    import heavy\n\nclass C:\n    import other\n\n@decorator\ndef g():\n    import deco\nimport after\n"),
    ["after"]);
  same("async def bodies do not", scan("async def f():\n    import lazy\n"), []);
  same("docstrings do not",
    scan('"""Usage:\nimport antigravity\n"""\nimport real\nx = """\nfrom y import z\n"""\n'),
    ["real"]);
  same("a one-line docstring does not hide what follows", scan('"""doc"""\nimport os\n'), ["os"]);
  same("comments do not", scan("# import os\nimport sys\n"), ["sys"]);
});

done();
