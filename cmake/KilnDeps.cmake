# Imported targets for what installers/bootstrap.sh unpacks into KILN_DEPS_DIR.
set(_v8_root "${KILN_DEPS_DIR}/v8/usr")
set(_v8_lib "${_v8_root}/lib/x86_64-linux-gnu/libnode.so.108")
if(NOT EXISTS "${_v8_lib}")
  message(FATAL_ERROR "V8 not found at ${_v8_lib}: run installers/bootstrap.sh first")
endif()

# V8 10.2 as built into Debian's libnode108: no pointer compression, no sandbox.
add_library(kiln_v8 SHARED IMPORTED GLOBAL)
set_target_properties(kiln_v8 PROPERTIES
  IMPORTED_LOCATION "${_v8_lib}"
  IMPORTED_SONAME "libnode.so.108"
  INTERFACE_INCLUDE_DIRECTORIES "${_v8_root}/include/node"
  INTERFACE_COMPILE_DEFINITIONS "V8_DEPRECATION_WARNINGS=0")
add_library(kiln::v8 ALIAS kiln_v8)
# libnode's own dependencies (c-ares) live beside it.
set(KILN_V8_LIBDIR "${_v8_root}/lib/x86_64-linux-gnu")

# llhttp: the C sources Debian's node-llhttp package ships.
set(_llhttp_src "${_v8_root}/share/llhttp")
add_library(kiln_llhttp STATIC "${_llhttp_src}/api.c" "${_llhttp_src}/http.c" "${_llhttp_src}/llhttp.c")
target_include_directories(kiln_llhttp SYSTEM PUBLIC "${_v8_root}/share/include/llhttp")
# libnode.so exports an older llhttp under the same names: hidden visibility makes our calls
# bind to our copy at link time instead of being interposed at run time.
set_target_properties(kiln_llhttp PROPERTIES POSITION_INDEPENDENT_CODE ON C_STANDARD 11 C_VISIBILITY_PRESET hidden)

set(KILN_NPM_DIR "${KILN_DEPS_DIR}/npm/node_modules")
set(KILN_PYODIDE_DIR "${KILN_NPM_DIR}/pyodide")
