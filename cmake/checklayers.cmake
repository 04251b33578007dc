# cmake -DNM=nm -DARCHIVES="a;b" -P checklayers.cmake
# Fails if a built archive needs a symbol of V8 or of QtGui/QtWidgets: the proof, on what the
# compiler produced, that kiln_core and kiln_server stay below the engine and the GUI.
foreach(archive IN LISTS ARCHIVES)
  execute_process(COMMAND "${NM}" -C --undefined-only "${archive}"
                  OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cannot read ${archive} with ${NM}")
  endif()
  string(REGEX MATCHALL "[^\n]*(v8::|node::|QWidget|QGuiApplication|QPixmap|QImage|QFont|QPainter)[^\n]*" bad "${symbols}")
  if(bad)
    list(JOIN bad "\n" lines)
    message(FATAL_ERROR "${archive} needs symbols it must not:\n${lines}")
  endif()
  string(LENGTH "${symbols}" size)
  if(size LESS 1000)
    message(FATAL_ERROR "${archive}: suspiciously few undefined symbols; is this the right file?")
  endif()
  message(STATUS "${archive}: no V8, node or QtGui/QtWidgets symbols")
endforeach()
