#include "engine/internal/pyodidepatches.h"

#include <QByteArrayList>

#include <algorithm>
#include <cctype>
#include <string_view>
#include <unordered_map>

namespace kiln {

namespace {

// Emscripten fills random bytes (CPython's getentropy, hence os.urandom, uuid4, seeding) in a
// d8-style shell through a global `os.system("sh", ["-c", "head -c N /dev/urandom | base64"])`
// that neither workerd nor Kiln offers. The shell branch is turned off, so the browser branch,
// crypto.getRandomValues (getrandom through ops.randomFill), serves boot and requests alike.
void patchPyodideRandom(QByteArray& source) {
    static const QByteArray shell = "if(ENVIRONMENT_IS_SHELL){return view=>{if(!os.system)";
    static const QByteArray none = "if(false){return view=>{if(!os.system)";
    source.replace(shell, none);
}

// Emscripten's dynamic-linking start puts every JS library function the wasm takes the
// address of into the function table, and a table holds only wasm functions: it wraps each one
// in a wasm module of its own (convertJsFunctionToWasm), ~280 modules compiled and instantiated
// one by one, ~85 ms of every start on this machine. Before that loop, one module wraps them
// all (per function an import, and an exported function of its own that calls it), and the
// conversion answers from it. An export of the import itself would be quicker to write, but
// V8 compiles a JS-to-wasm wrapper for each signature of an exported import with its
// optimising compiler (~10 ms a start here), where its own functions share the generic one. The
// functions land in the same table slots as before, in the same order, so a memory snapshot's
// function pointers stay valid either way: kilnReserveSlots gives the wrapped functions the
// slots addFunction would give them one by one (table.grow(1) each, after a TypeError from
// table.set of the bare JS function: ~27 us a function, ~7.5 ms for Pyodide's 280), with one
// grow, in GOT order, up to the first function it has no wrapper for (the loop adds the rest). The
// module compiles through globalThis.kilnCompileWasm when the host offers it (a reload reuses the
// compiled module). A Pyodide whose glue reads differently is left as it is (it starts as it did).
// The module's bytes come from globalThis.kilnImportWrappers when the host offers it (built in C++:
// wasmimportwrappers.h), else from the same layout written here in JS.
void patchPyodideFunctionWrapping(QByteArray& source) {
    static const QByteArray report =
        "reportUndefinedSymbols=()=>{for(var[symName,entry]of Object.entries(GOT)){";
    static const QByteArray convert = "var convertJsFunctionToWasm=(func,sig)=>{";
    if (source.count(report) != 1 || source.count(convert) != 1) return;
    static const QByteArray wrapAll =
        R"js(reportUndefinedSymbols=()=>{kilnWrapJsFunctions();kilnReserveSlots();for(var[symName,entry]of Object.entries(GOT)){)js";
    static const QByteArray helper = R"js(var kilnWrapped=new Map;var kilnWrapJsFunctions=()=>{
var funcs=[];for(var[name,entry]of Object.entries(GOT)){if(entry.value!=-1)continue;
var f=resolveGlobalSymbol(name,true).sym;if(typeof f!="function"||typeof f.sig!="string"||kilnWrapped.has(f))continue;
if(Function.prototype.toString.call(f).includes("[native code]"))continue;kilnWrapped.set(f,null);funcs.push(f)}
if(!funcs.length)return;var bytes=globalThis.kilnImportWrappers?.(funcs.map(f=>f.sig),wasmTypeCodes)??(()=>{var leb=(o,n)=>{do{var b=n&127;n>>>=7;if(n)b|=128;o.push(b)}while(n)};
var str=(o,s)=>{leb(o,s.length);for(var k=0;k<s.length;k++)o.push(s.charCodeAt(k))};
var out=[0,97,115,109,1,0,0,0];var section=(id,count,write)=>{var body=[];leb(body,count);write(body);
out.push(id);leb(out,body.length);for(var k=0;k<body.length;k++)out.push(body[k])};
var sigs=[],typeOf=new Map;for(var f of funcs)if(!typeOf.has(f.sig)){typeOf.set(f.sig,sigs.length);sigs.push(f.sig)}
section(1,sigs.length,o=>{for(var sig of sigs){o.push(96);leb(o,sig.length-1);for(var k=1;k<sig.length;k++)o.push(wasmTypeCodes[sig[k]]);
if(sig[0]==="v")o.push(0);else o.push(1,wasmTypeCodes[sig[0]])}});
section(2,funcs.length,o=>funcs.forEach((f,i)=>{str(o,"e");str(o,"f"+i);o.push(0);leb(o,typeOf.get(f.sig))}));
section(3,funcs.length,o=>funcs.forEach(f=>leb(o,typeOf.get(f.sig))));
section(7,funcs.length,o=>funcs.forEach((f,i)=>{str(o,"f"+i);o.push(0);leb(o,funcs.length+i)}));
section(10,funcs.length,o=>funcs.forEach((f,i)=>{var body=[0];for(var k=1;k<f.sig.length;k++){body.push(32);leb(body,k-1)}
body.push(16);leb(body,i);body.push(11);leb(o,body.length);for(var b of body)o.push(b)}));
return new Uint8Array(out)})();var compile=globalThis.kilnCompileWasm??(b=>new WebAssembly.Module(b));
var e={};funcs.forEach((f,i)=>{e["f"+i]=f});var instance=new WebAssembly.Instance(compile(bytes),{e});
funcs.forEach((f,i)=>kilnWrapped.set(f,instance.exports["f"+i]))};
var kilnReserveSlots=()=>{if(freeTableIndexes.length)return;getFunctionAddress(null);var add=[],seen=new Set;
for(var[name,entry]of Object.entries(GOT)){if(entry.value!=-1)continue;var f=resolveGlobalSymbol(name,true).sym;
if(typeof f!="function"||seen.has(f)||getFunctionAddress(f))continue;var w=kilnWrapped.get(f);if(!w)break;seen.add(f);add.push([f,w])}
if(!add.length)return;var base=wasmTable.grow(add.length);for(var k=0;k<add.length;k++){var[f,w]=add[k];
wasmTable.set(base+k,w);wasmTableMirror[base+k]=w;functionsInTableMap.set(f,base+k)}};
var convertJsFunctionToWasm=(func,sig)=>{var kilnDone=kilnWrapped.get(func);if(kilnDone)return kilnDone;)js";
    source.replace(report, wrapAll);
    source.replace(convert, helper);
}

// Emscripten's dynamic-linking start gives every function the main module exports a GOT entry
// (updateGOT, ~8,500 exports): a table slot, found with getFunctionAddress — whose first call
// reads every slot of the table back (~9,000 `table.get`s, each making a JS function, and as
// many WeakMap entries) — or made with table.grow(1) and table.set, then a WebAssembly.Global
// holding it, that only a side module importing that symbol (GOT.func / GOT.mem) ever reads.
//
// With globalThis.kilnStartTable (the table's layout as instantiated, read from the module's
// bytes: wasmtablelayout.h), the main module's functions are found by function index (a wasm
// function's `name`) in that layout, or in the slots given out after it, instead of in the
// WeakMap; getFunctionAddress checks that the slot it answers holds that very function. The
// main module's exports get their slots in the same order as before, with one grow for all of
// them, and an entry's Global is made when the symbol is first looked up in GOT, with the
// value it would have held (the slot, or the exported Global's value). Entries the main
// module's own GOT imports made during instantiation are filled at once, as before. Entries
// never looked up are not listed by Object.entries(GOT) — none of them is unresolved (-1),
// which is all reportUndefinedSymbols looks for there. Later calls (side modules) keep the
// loop; their "already there?" test counts a waiting entry without making it. Same table,
// same GOT values: test_gluelayout compares them with Pyodide's own glue running in node.
// With the exports taken on demand (patchPyodideLazyExports), the rewritten module's table
// already holds every export in its slot: an entry's value comes from the module's listing,
// and only the entries the main module's own GOT imports made are filled at once.
void patchPyodideMainExports(QByteArray& source) {
    static const QByteArray lookup =
        "var functionsInTableMap;var getFunctionAddress=func=>{if(!functionsInTableMap){"
        "functionsInTableMap=new WeakMap;updateTableMap(0,wasmTable.length)}"
        "return functionsInTableMap.get(func)||0};";
    static const QByteArray got = "var GOT={};";
    static const QByteArray update = "var updateGOT=(exports,replace)=>{";
    static const QByteArray set =
        R"js(GOT[symName]??=new WebAssembly.Global({value:"i32",mutable:true});GOT[symName].value=newValue)js";
    static const QByteArray exists = "var existingEntry=GOT[symName]&&GOT[symName].value!=-1;";
    for (const QByteArray& piece : {lookup, got, update, set, exists})
        if (source.count(piece) != 1) return;
    source.replace(lookup, R"js(var functionsInTableMap;var kilnStartSlots=null,kilnAddedSlots=null;
var kilnMainSlot=func=>{if(!kilnStartSlots||typeof func!="function")return 0;var f=+func.name;
var slot=kilnStartSlots[f]||kilnAddedSlots[f];return slot&&getWasmTableEntry(slot)===func?slot:0};
var getFunctionAddress=func=>{if(!functionsInTableMap){functionsInTableMap=new WeakMap;var t=globalThis.kilnStartTable;
if(t&&t.length===wasmTable.length){kilnStartSlots=t.slots;kilnAddedSlots=new Int32Array(t.slots.length)}
else updateTableMap(0,wasmTable.length)}return functionsInTableMap.get(func)||kilnMainSlot(func)};)js");
    source.replace(
        got, R"js(var kilnGotLazy=new Map;var kilnMainExports=null;var kilnGot={};var kilnLazy=null;
var kilnMainValue=name=>{if(kilnLazy&&kilnMainExports===kilnLazy.exports&&!isInternalSym(name)){var d=kilnLazy.describe(name);if(!d)return;if(d.kind)return d.value}
if(!kilnMainExports||!Object.prototype.hasOwnProperty.call(kilnMainExports,name)||isInternalSym(name))return;
var value=kilnMainExports[name];if(typeof value=="function")return getFunctionAddress(value);
if(value&&typeof value.value=="number")return value};
var kilnGotWaiting=name=>kilnGotLazy.has(name)||kilnMainValue(name)!==undefined;
var GOT=new Proxy(kilnGot,{get(target,name){var entry=target[name];if(entry!==undefined||typeof name!="string")return entry;
var value=kilnGotLazy.has(name)?kilnGotLazy.get(name):kilnMainValue(name);kilnGotLazy.delete(name);
if(value!==undefined)entry=target[name]=new WebAssembly.Global({value:"i32",mutable:true},value);return entry}});
var kilnUpdateMainGot=exports=>{kilnMainExports=exports;if(kilnLazy&&exports===kilnLazy.exports){
for(var symName of Object.keys(kilnGot)){var entry=kilnGot[symName];if(entry.value!=-1||isInternalSym(symName))continue;
var newValue=kilnMainValue(symName);if(newValue!==undefined)entry.value=newValue}return}var names=Object.keys(exports),base=wasmTable.length,added=[];
for(var i=0;i<names.length;i++){var symName=names[i];if(isInternalSym(symName))continue;var value=exports[symName];
var entry=kilnGot[symName];if(entry&&entry.value!=-1)continue;var newValue;
if(typeof value=="function"){var f=+value.name;newValue=kilnStartSlots[f]||kilnAddedSlots[f]||functionsInTableMap.get(value);
if(!newValue){newValue=base+added.length;added.push(value);if(f>=0&&f<kilnAddedSlots.length)kilnAddedSlots[f]=newValue;
else functionsInTableMap.set(value,newValue)}}else if(typeof value.value=="number"){newValue=value}else{continue}
if(entry)entry.value=newValue}
if(added.length){wasmTable.grow(added.length);for(var k=0;k<added.length;k++){wasmTable.set(base+k,added[k]);
wasmTableMirror[base+k]=added[k]}}};)js");
    source.replace(update, R"js(var updateGOT=(exports,replace)=>{
if(!kilnMainExports&&!replace&&!freeTableIndexes.length&&(getFunctionAddress(null),kilnStartSlots))return kilnUpdateMainGot(exports);)js");
    source.replace(
        set,
        R"js(if(kilnGot[symName]){kilnGot[symName].value=newValue}else{kilnGotLazy.set(symName,newValue)})js");
    source.replace(
        exists,
        R"js(var existingEntry=kilnGot[symName]?kilnGot[symName].value!=-1:kilnGotWaiting(symName);)js");
}

// mergeLibSymbols makes a closure and an entries array for each of the main module's ~10,000
// exports (~12 ms a start); the same merge as a plain loop. Same result, same order.
void patchPyodideMergeLoop(QByteArray& source) {
    static const QByteArray merge =
        R"js(var mergeLibSymbols=(exports,libName)=>{for(var[sym,exp]of Object.entries(exports)){const setImport=target=>{if(!isSymbolDefined(target)){wasmImports[target]=exp}};setImport(sym);const main_alias="__main_argc_argv";if(sym=="main"){setImport(main_alias)}if(sym==main_alias){setImport("main")}}};)js";
    if (source.count(merge) != 1) return;
    source.replace(merge,
                   R"js(var mergeLibSymbols=(exports,libName)=>{var lazy=globalThis.kilnLazyExports;
if(lazy&&exports===lazy.exports){kilnLazy=lazy;return kilnLazyMerge(exports)}var names=Object.keys(exports);
for(var i=0;i<names.length;i++){var sym=names[i],exp=exports[sym];if(!isSymbolDefined(sym))wasmImports[sym]=exp;
if(sym=="main"&&!isSymbolDefined("__main_argc_argv"))wasmImports["__main_argc_argv"]=exp;
if(sym=="__main_argc_argv"&&!isSymbolDefined("main"))wasmImports["main"]=exp}};)js");
}

// With the main module's exports moved into its table (wasmlazyexports.h), the glue is handed
// an exports object that makes each one when it is first read (resources/js/lazyexports.mjs),
// and the places that would read them all read only what they use:
// - mergeLibSymbols puts the main module's exports behind wasmImports as its prototype
//   instead of copying ~8,500 of them in (a name wasmImports defines itself still wins, as
//   the copy's "not defined yet" test had it; `in` and lookups reach the rest);
// - dlsym, which lists a library's symbols by position, copies them in for real first;
// - applySignatureConversions layers its few wrappers over the exports (Object.create)
//   instead of copying them all (Object.assign);
// - the main module's GOT entries take the slots and values from the listing
//   (patchPyodideMainExports' kilnLazy branches).
// Each piece is looked for first; without all of them the glue takes no lazy exports (the
// marker below stays unset and worker.mjs instantiates the original module).
void patchPyodideLazyExports(QByteArray& source) {
    static const QByteArray merge = "var mergeLibSymbols=(exports,libName)=>{var lazy=";
    static const QByteArray got = "if(kilnLazy&&exports===kilnLazy.exports){";
    static const QByteArray convert =
        "function "
        "applySignatureConversions(wasmExports){wasmExports=Object.assign({},wasmExports);";
    static const QByteArray dlsym = "newSymIndex=Object.keys(lib.exports).indexOf(symbol)";
    static const QByteArray catchup = "var symName=Object.keys(symDict)[symbolIndex]";
    for (const QByteArray& piece : {merge, got, convert, dlsym, catchup})
        if (source.count(piece) != 1) return;
    source.replace(merge, R"js(var kilnLazyMerge=exports=>{
for(var[a,b]of[["main","__main_argc_argv"],["__main_argc_argv","main"]])if(a in exports&&!isSymbolDefined(b))wasmImports[b]=exports[a];
Object.setPrototypeOf(wasmImports,exports)};
var kilnOwnSymbols=dict=>{if(kilnLazy&&dict===wasmImports&&Object.getPrototypeOf(dict)===kilnLazy.exports){
Object.setPrototypeOf(dict,Object.prototype);for(var name of kilnLazy.names)if(!isSymbolDefined(name))dict[name]=kilnLazy.exports[name]}
return Object.keys(dict)};globalThis.kilnGlueTakesLazyExports=true;)js" +
                              merge);
    source.replace(convert, "function applySignatureConversions(wasmExports){wasmExports=kilnLazy&&"
                            "wasmExports===kilnLazy.exports?Object.create(wasmExports):"
                            "Object.assign({},wasmExports);");
    source.replace(dlsym, "newSymIndex=kilnOwnSymbols(lib.exports).indexOf(symbol)");
    source.replace(catchup, "var symName=kilnOwnSymbols(symDict)[symbolIndex]");
}

// assignWasmExports copies ~4,900 of the main module's exports into the glue's variables and
// onto Module (`_X=Module["_X"]=wasmExports["X"]`), so each function is made at every start
// (~10 ms with the exports taken on demand), though the glue names only ~150 of those
// variables anywhere else. The statements whose variable the glue never reads (it occurs only
// in its declaration, this assignment and the Module key: counted over the whole text,
// strings included, so a doubtful one is kept) are dropped, and Module answers their keys from
// the exports when asked (a Proxy as its prototype): `Module._X` and `"_X" in Module` give
// what they gave, the export made on first use. Only Object.keys(Module) and
// hasOwnProperty no longer list them, which nothing in Pyodide asks.
void patchPyodideAssignExports(QByteArray& source) {
    static const QByteArray head = "function assignWasmExports(wasmExports){";
    if (source.count(head) != 1) return;
    const qsizetype bodyStart = source.indexOf(head) + head.size();
    const qsizetype bodyEnd = source.indexOf('}', bodyStart);
    if (bodyEnd < 0 || source.indexOf('{', bodyStart) < bodyEnd) return;
    std::unordered_map<std::string_view, int> uses;
    const auto isWord = [](char c) { return std::isalnum(uchar(c)) || c == '_' || c == '$'; };
    for (qsizetype i = 0; i < source.size();) {
        if (!isWord(source.at(i))) {
            ++i;
            continue;
        }
        qsizetype j = i;
        while (j < source.size() && isWord(source.at(j)))
            ++j;
        ++uses[std::string_view(source.constData() + i, size_t(j - i))];
        i = j;
    }
    QByteArrayList kept;
    QByteArray lazy;
    for (const QByteArray& statement : source.mid(bodyStart, bodyEnd - bodyStart).split(';')) {
        // _X=Module["_X"]=wasmExports["X"], nothing more.
        const qsizetype eq = statement.indexOf('=');
        const QByteArray name = statement.left(eq);
        const QByteArray exportName = name.mid(1);
        const bool plain =
            eq > 1 && name.startsWith('_') &&
            statement == name + "=Module[\"" + name + "\"]=wasmExports[\"" + exportName + "\"]" &&
            uses[std::string_view(name.constData(), size_t(name.size()))] <= 3;
        if (!plain) {
            if (!statement.isEmpty()) kept << statement;
            continue;
        }
        if (!lazy.isEmpty()) lazy += ',';
        lazy += exportName;
    }
    if (lazy.isEmpty()) return;
    kept << "kilnLazyModule(wasmExports,\"" + lazy + "\")";
    source.replace(bodyStart, bodyEnd - bodyStart, kept.join(';'));
    source.replace(head, R"js(var kilnLazyModule=(exports,list)=>{var names=null;
var listed=name=>typeof name=="string"&&name[0]=="_"&&(names??=new Set(list.split(","))).has(name.slice(1));
Object.setPrototypeOf(Module,new Proxy(Object.getPrototypeOf(Module)??Object.create(null),{
get(target,name,receiver){return listed(name)?exports[name.slice(1)]:Reflect.get(target,name,receiver)},
has(target,name){return listed(name)||Reflect.has(target,name)}}))};)js" +
                             head);
}

// Once the package index is read, Pyodide hands Python its import-name -> package-name map
// (for the note a ModuleNotFoundError gets: "included in the Pyodide distribution, but not
// installed"), converted entry by entry through JsProxy: ~12 ms of every start, most of it the
// conversion path's first run. A restored memory snapshot already holds that dict, made from
// the same lock file (worker.mjs keys the snapshots by its stamp), so a restore keeps it.
void patchPyodideRestoredImportNotes(QByteArray& source) {
    static const QByteArray hook =
        "API.flushPackageManagerBuffers(),API._pyodide._importhook."
        "register_module_not_found_hook(API._import_name_to_package_name)";
    if (source.count(hook) != 1) return;
    source.replace(hook, "API.flushPackageManagerBuffers(),API.config._loadSnapshot||"
                         "API._pyodide._importhook.register_module_not_found_hook("
                         "API._import_name_to_package_name)");
}

// A snapshot's memory is copied into the wasm memory (HEAP8.set); through
// globalThis.kilnRestoreMemory, when the host offers it, the snapshot file's pages are mapped
// there instead (opMapOntoMemory). It answers false when it cannot, and the copy runs.
void patchPyodideRestoreMapping(QByteArray& source) {
    static const QByteArray restore = "return Module.HEAP8.set(t),l}";
    if (source.count(restore) != 1) return;
    source.replace(
        restore,
        "return(globalThis.kilnRestoreMemory?.(Module.HEAP8.buffer,t)||Module.HEAP8.set(t)),l}");
}

// The glue puts ~1,650 of its JS functions on Module one statement each (`Module["X"]=X;`, in
// one run): each store site runs once, so each misses its inline cache and adds a property
// through the runtime, 4-8 ms of every start. One Object.assign from an object literal does
// the same [[Set]]s in the same order (the values read first, which nothing between them
// changes). Only a run of plain stores (key and variable the same name) is taken.
void patchPyodideModuleStores(QByteArray& source) {
    static const QByteArray store = "Module[\"";
    qsizetype bestStart = -1, bestEnd = -1, bestCount = 0;
    for (qsizetype at = source.indexOf(store); at >= 0;) {
        const qsizetype start = at;
        qsizetype count = 0;
        while (source.mid(at, store.size()) == store) {
            const qsizetype nameStart = at + store.size();
            const qsizetype nameEnd = source.indexOf('"', nameStart);
            if (nameEnd < 0) break;
            const QByteArray name = source.mid(nameStart, nameEnd - nameStart);
            const QByteArray rest = "\"]=" + name + ';';
            const bool identifier = !name.isEmpty() && !std::isdigit(uchar(name.front())) &&
                                    std::all_of(name.begin(), name.end(), [](char c) {
                                        return std::isalnum(uchar(c)) || c == '_' || c == '$';
                                    });
            if (!identifier || source.mid(nameEnd, rest.size()) != rest) break;
            at = nameEnd + rest.size();
            ++count;
        }
        if (count > bestCount) {
            bestCount = count;
            bestStart = start;
            bestEnd = at;
        }
        at = source.indexOf(store, std::max(at, start + 1));
    }
    if (bestCount < 100) return;
    QByteArrayList names;
    for (const QByteArray& statement : source.mid(bestStart, bestEnd - bestStart).split(';'))
        if (!statement.isEmpty()) names << statement.mid(statement.indexOf('=') + 1);
    source.replace(bestStart, bestEnd - bestStart,
                   "Object.assign(Module,{" + names.join(',') + "});");
}

} // namespace

// Pyodide writes the standard library zip into MEMFS with FS.writeFile, which copies it
// (buffer.slice): 13 MB of fresh memory filled at every start, snapshot restores included,
// when the zip is the compiled one from Kiln's cache. With canOwn the file keeps the bytes it
// was given: the cache file's private, copy-on-write mapping (worker.mjs serveOnce), whose
// pages are read from the page cache as zipimport touches them. A later write to the file
// (nothing in Pyodide does one) lands in that private mapping, or in a copy MEMFS makes
// when it must grow. A loader that reads differently is left as it is.
void patchPyodideLoader(QByteArray& source) {
    static const QByteArray install = "FS.writeFile(`/lib/python${i}${s}.zip`,r)";
    if (source.count(install) != 1) return;
    source.replace(install, "FS.writeFile(`/lib/python${i}${s}.zip`,r,{canOwn:!0})");
}

void patchPyodideGlue(QByteArray& source) {
    patchPyodideRandom(source);
    patchPyodideFunctionWrapping(source);
    patchPyodideMainExports(source);
    patchPyodideMergeLoop(source);
    patchPyodideLazyExports(source);
    patchPyodideAssignExports(source);
    patchPyodideRestoredImportNotes(source);
    patchPyodideRestoreMapping(source);
    // After patchPyodideAssignExports, which counts the glue's uses of each name as it ships.
    patchPyodideModuleStores(source);
}

} // namespace kiln
