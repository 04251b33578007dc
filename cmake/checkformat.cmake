# cmake -DCLANG_FORMAT=clang-format -DSOURCE_DIR=... -P checkformat.cmake
# Fails, listing the files, when a C++ file of the tree differs from what .clang-format makes
# of it. Fix with: clang-format -i $(git ls-files '*.cpp' '*.h')
file(GLOB_RECURSE files RELATIVE "${SOURCE_DIR}"
     "${SOURCE_DIR}/runtime/*.cpp" "${SOURCE_DIR}/runtime/*.h"
     "${SOURCE_DIR}/tests/*.cpp" "${SOURCE_DIR}/tests/*.h"
     "${SOURCE_DIR}/bench/*.cpp" "${SOURCE_DIR}/bench/*.h"
     "${SOURCE_DIR}/app/*.cpp" "${SOURCE_DIR}/app/*.h"
     "${SOURCE_DIR}/inspectors/*.cpp" "${SOURCE_DIR}/inspectors/*.h")
# Packages a bench installs (bench/peer/wrangler/node_modules) are not ours.
list(FILTER files EXCLUDE REGEX "(^|/)node_modules/")
list(LENGTH files count)
if(count LESS 50)
  message(FATAL_ERROR "only ${count} C++ files found under ${SOURCE_DIR}: wrong folder?")
endif()
set(unformatted "")
foreach(file IN LISTS files)
  execute_process(COMMAND "${CLANG_FORMAT}" --dry-run --Werror "${file}"
                  WORKING_DIRECTORY "${SOURCE_DIR}" RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  if(NOT rc EQUAL 0)
    list(APPEND unformatted "${file}")
  endif()
endforeach()
if(unformatted)
  list(JOIN unformatted "\n  " lines)
  message(FATAL_ERROR "not formatted as .clang-format says:\n  ${lines}\nrun: clang-format -i <file>")
endif()
message(STATUS "${count} C++ files formatted as .clang-format says")
