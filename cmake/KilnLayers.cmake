# Layer rules the build enforces (ARCHITECTURE.md §2):
# - kiln_core and kiln_server link no V8 and no QtGui/QtWidgets (checked at configure time on
#   the link graph, and by the `layers` test on the built archives' undefined symbols);
# - every public header of kiln_core, kiln_server and kiln_runtime compiles on its own with only
#   that library's public usage requirements (kiln_public_headers, built with `all`): a header
#   that includes V8, or an engine-internal header, fails the build. V8-facing headers live in
#   runtime/engine/internal/ and runtime/bindings/ and are listed nowhere public.

function(_kiln_collect_links target out)
  set(seen ${${out}})
  foreach(prop LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
    get_target_property(libs ${target} ${prop})
    if(NOT libs)
      continue()
    endif()
    foreach(lib IN LISTS libs)
      string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" lib "${lib}")
      if(lib IN_LIST seen)
        continue()
      endif()
      list(APPEND seen ${lib})
      if(TARGET ${lib})
        _kiln_collect_links(${lib} seen)
      endif()
    endforeach()
  endforeach()
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

# kiln_forbid_links(TARGET lib...): configure fails if TARGET reaches any lib, however indirectly.
function(kiln_forbid_links target)
  set(links "")
  _kiln_collect_links(${target} links)
  foreach(forbidden IN LISTS ARGN)
    if(forbidden IN_LIST links)
      message(FATAL_ERROR "layer rule broken: ${target} links ${forbidden} (links: ${links})")
    endif()
  endforeach()
endfunction()

# kiln_public_headers(NAME LIB header...): one translation unit per header, compiled against LIB.
function(kiln_public_headers name lib)
  set(sources "")
  foreach(header IN LISTS ARGN)
    string(MAKE_C_IDENTIFIER "${header}" id)
    set(tu "${CMAKE_BINARY_DIR}/layers/${name}/${id}.cpp")
    file(CONFIGURE OUTPUT "${tu}" CONTENT "#include \"${header}\"\n")
    list(APPEND sources "${tu}")
  endforeach()
  add_library(${name} OBJECT ${sources})
  target_link_libraries(${name} PRIVATE ${lib})
  set_target_properties(${name} PROPERTIES AUTOMOC OFF)
endfunction()
