# The layering check: a stage folder may include only its own headers and those of the stages below
# it (DESIGN.md §2). Run as a script:
#   cmake -DROOT=<tree holding src/ and include/anneal/> -P cmake/check_layers.cmake
# It lists every include that points up the stack and fails when there is one.

# Lowest first. A folder's subfolders (runtime/cpu) belong to it; the umbrella header anneal.h is
# above everything.
set(LAYERS support uop rewrite schedule codegen render runtime engine tensor nn io models viz cli)

if(NOT ROOT)
  message(FATAL_ERROR "check_layers: pass -DROOT=<source tree>")
endif()

file(GLOB_RECURSE sources RELATIVE "${ROOT}" "${ROOT}/src/*.cpp" "${ROOT}/src/*.h" "${ROOT}/include/anneal/*.h")
set(violations "")
foreach(rel IN LISTS sources)
  if(rel MATCHES "^src/([^/]+)/")
    set(stage "${CMAKE_MATCH_1}")
  elseif(rel MATCHES "^include/anneal/([^/]+)/")
    set(stage "${CMAKE_MATCH_1}")
  else()
    continue()  # include/anneal/anneal.h
  endif()
  list(FIND LAYERS "${stage}" rank)
  if(rank EQUAL -1)
    list(APPEND violations "${rel}: folder '${stage}' is not a stage of the layer list in cmake/check_layers.cmake")
    continue()
  endif()
  file(STRINGS "${ROOT}/${rel}" includes REGEX "^[ \t]*#[ \t]*include[ \t]+\"")
  foreach(line IN LISTS includes)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]+\"([^\"]+)\".*" "\\1" target "${line}")
    set(used "")
    if(target MATCHES "^anneal/([^/]+)/")
      set(used "${CMAKE_MATCH_1}")
    elseif(target MATCHES "^(\\.\\./)+([^/.][^/]*)/")
      set(used "${CMAKE_MATCH_2}")
      # ../cpu/x.h from runtime/cuda: a sibling inside the same stage.
      list(FIND LAYERS "${used}" probe)
      if(probe EQUAL -1)
        set(used "${stage}")
      endif()
    endif()
    if(used STREQUAL "")
      continue()
    endif()
    list(FIND LAYERS "${used}" used_rank)
    if(used_rank EQUAL -1)
      list(APPEND violations "${rel}: includes \"${target}\" from an unknown folder '${used}'")
    elseif(used_rank GREATER rank)
      list(APPEND violations "${rel}: ${stage} includes \"${target}\" from ${used}, a higher stage")
    endif()
  endforeach()
endforeach()

list(LENGTH violations count)
if(count GREATER 0)
  string(REPLACE ";" "\n  " listing "${violations}")
  message(FATAL_ERROR "layering: ${count} include(s) against the stage order (${LAYERS}):\n  ${listing}")
endif()
list(LENGTH sources files)
message(STATUS "layering: ${files} files, every include points down the stage order")
