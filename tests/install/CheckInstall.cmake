# ctest gui.install: `cmake --install` into a fresh prefix gives the Debian
# layout, and the installed program finds its examples: started offscreen,
# it opens one from File > Examples out of <prefix>/share/modulelab.
#   cmake -DBUILD_DIR=<build> -DSOURCE_DIR=<src> -DPREFIX=<empty dir> -P CheckInstall.cmake
cmake_minimum_required(VERSION 3.25)
function(fail)
  string(JOIN "" text ${ARGN})
  message(FATAL_ERROR "${text}")
endfunction()

file(REMOVE_RECURSE ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  fail("cmake --install failed (${rc}):\n${out}${err}")
endif()

file(GLOB sourceExamples RELATIVE ${SOURCE_DIR}/resources/examples ${SOURCE_DIR}/resources/examples/*.json)
set(expected bin/modulelab bin/modulelab-cli share/applications/modulelab.desktop
  share/icons/hicolor/scalable/apps/modulelab.svg share/modulelab/schema/modulelab-model-1.schema.json)
foreach(example IN LISTS sourceExamples)
  list(APPEND expected share/modulelab/examples/${example})
endforeach()
foreach(path IN LISTS expected)
  if(NOT EXISTS ${PREFIX}/${path})
    fail("${PREFIX}/${path} was not installed")
  endif()
endforeach()
file(STRINGS ${PREFIX}/share/applications/modulelab.desktop desktop)
foreach(line "Exec=modulelab %f" "Icon=modulelab" "Type=Application")
  if(NOT line IN_LIST desktop)
    fail("modulelab.desktop lacks the line '${line}'")
  endif()
endforeach()

# No resource path of the build or source tree compiled in.
file(STRINGS ${PREFIX}/bin/modulelab baked REGEX "${SOURCE_DIR}/resources")
if(baked)
  fail("bin/modulelab names the source tree's resources: ${baked}")
endif()

set(run ${CMAKE_COMMAND} -E env QT_QPA_PLATFORM=offscreen XDG_CONFIG_HOME=${PREFIX}/config
  QTEST_DISABLE_STACK_DUMP=1 ${PREFIX}/bin/modulelab)
execute_process(COMMAND ${run} --menu File/Examples/simple_cnn.json --screenshot ${PREFIX}/shot.png
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
set(opened "menu File/Examples/simple_cnn.json: open file ${PREFIX}/share/modulelab/examples/simple_cnn.json")
if(NOT rc EQUAL 0 OR NOT out MATCHES "${opened}\n" OR NOT EXISTS ${PREFIX}/shot.png)
  fail("the installed modulelab did not open its example (exit ${rc}); expected '${opened}', got:\n${out}${err}")
endif()

# A menu item that is not there is an error naming what the menu holds.
execute_process(COMMAND ${run} --menu File/Examples/absent.json --screenshot ${PREFIX}/absent.png
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
if(rc EQUAL 0 OR NOT err MATCHES "no item 'absent.json' in menu 'File/Examples' \\(it has: [^)]*simple_cnn.json")
  fail("--menu File/Examples/absent.json: expected a failure listing the examples, got exit ${rc}:\n${out}${err}")
endif()

execute_process(COMMAND ${PREFIX}/bin/modulelab-cli summary ${PREFIX}/share/modulelab/examples/simple_cnn.json
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
if(NOT rc EQUAL 0 OR NOT out MATCHES "Parameters: [0-9,]+ unique")
  fail("the installed modulelab-cli summary failed (exit ${rc}):\n${out}${err}")
endif()
list(LENGTH sourceExamples count)
message(STATUS "installed into ${PREFIX}: ${count} examples, schema, .desktop, icon; the installed program opened File/Examples/simple_cnn.json")
