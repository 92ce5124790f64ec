# The compiler built to WASM with Debian's emscripten (`make wasm`, configured by emcmake): included from
# the top-level CMakeLists.txt, whose source lists it reuses.
#   anneal_core  the compiler core, the tensor and nn layers, the built-in programs, the JSON export, and
#                host-memory devices (runtime/browser_devices.cpp): no C compiler, CUDA, Dawn or files.
#   anneal.js    the embind module the page loads (src/viz/wasm_api.cpp), for the web and for Node.
#   tests        the core's own suites, and the module against the native CLI, run by Node (no GPU);
#                the module's WGSL run in headless Chromium (browser:programs).

# Exceptions are off by default in emscripten; anneal reports errors with them. The .wasm is embedded
# in its .js (SINGLE_FILE): one file to serve, and Node 18+ loads it (emscripten 3.1.6 would fetch()
# a file path there, which Node's fetch refuses).
add_compile_options(-fexceptions)
add_link_options(-fexceptions -sSINGLE_FILE=1)

# nlohmann-json is header-only: Debian's copy, through a folder holding only it (adding all of
# /usr/include would shadow emscripten's C library with glibc's headers).
set(ANNEAL_HOST_HEADERS ${CMAKE_CURRENT_BINARY_DIR}/host-headers)
file(MAKE_DIRECTORY ${ANNEAL_HOST_HEADERS})
file(CREATE_LINK /usr/include/nlohmann ${ANNEAL_HOST_HEADERS}/nlohmann SYMBOLIC)

add_library(anneal_core STATIC ${ANNEAL_EMBEDDED_TEXT} ${ANNEAL_SUPPORT_SOURCES} ${ANNEAL_UOP_SOURCES}
  ${ANNEAL_REWRITE_SOURCES} ${ANNEAL_TENSOR_SOURCES} ${ANNEAL_SCHEDULE_SOURCES} ${ANNEAL_CODEGEN_SOURCES}
  ${ANNEAL_RENDER_SOURCES} ${ANNEAL_RUNTIME_SOURCES} ${ANNEAL_ENGINE_SOURCES} ${ANNEAL_NN_SOURCES}
  src/runtime/browser_devices.cpp src/models/programs.cpp src/models/classifier.cpp src/viz/program_json.cpp src/viz/explore.cpp
  src/viz/explain.cpp src/viz/op_samples.cpp src/viz/symbolic_gradient.cpp src/viz/tensor_expression.cpp
  src/viz/rule_sets.cpp src/viz/kernel_probes.cpp)
target_include_directories(anneal_core PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include ${CMAKE_CURRENT_SOURCE_DIR}/src
  PRIVATE ${ANNEAL_EMBEDDED_DIR})
target_include_directories(anneal_core SYSTEM PUBLIC ${ANNEAL_HOST_HEADERS})
target_link_libraries(anneal_core PRIVATE anneal_warnings)

# The page checks WebGPU's values against the naive reference evaluator (tests/reference), built in.
add_executable(anneal_wasm src/viz/wasm_api.cpp tests/reference/reference_eval.cpp)
target_include_directories(anneal_wasm PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/tests/reference)
set_target_properties(anneal_wasm PROPERTIES OUTPUT_NAME anneal SUFFIX .js)
target_link_libraries(anneal_wasm PRIVATE anneal_core anneal_warnings)
target_link_options(anneal_wasm PRIVATE --bind -sMODULARIZE=1 -sEXPORT_NAME=createAnneal -sALLOW_MEMORY_GROWTH=1
  -sENVIRONMENT=web,node)

if(NOT ANNEAL_BUILD_TESTS)
  return()
endif()
enable_testing()
find_program(ANNEAL_NODE node REQUIRED)
# GoogleTest from Debian's sources (libgtest-dev ships them), built for wasm32.
set(ANNEAL_GTEST_SRC /usr/src/googletest/googletest)
add_library(gtest_wasm STATIC ${ANNEAL_GTEST_SRC}/src/gtest-all.cc ${ANNEAL_GTEST_SRC}/src/gtest_main.cc)
target_include_directories(gtest_wasm SYSTEM PUBLIC ${ANNEAL_GTEST_SRC}/include PRIVATE ${ANNEAL_GTEST_SRC})
foreach(suite uop rewrite)
  file(GLOB suite_sources ${CMAKE_CURRENT_SOURCE_DIR}/tests/${suite}/*_test.cpp)
  add_executable(wasm_test_${suite} ${suite_sources})
  target_link_libraries(wasm_test_${suite} PRIVATE anneal_core gtest_wasm)
  target_link_options(wasm_test_${suite} PRIVATE -sALLOW_MEMORY_GROWTH=1 -sENVIRONMENT=node)
  add_test(NAME wasm:test_${suite} COMMAND ${ANNEAL_NODE} $<TARGET_FILE:wasm_test_${suite}>)
endforeach()
# The module's API, and its kernels against the native compiler's (ANNEAL_NATIVE_CLI: a native build's
# `anneal`, which `make wasm` passes).
set(ANNEAL_NATIVE_CLI "" CACHE FILEPATH "a native anneal binary to compare the WASM compiler's output with")
add_test(NAME wasm:api COMMAND ${ANNEAL_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/tests/wasm/api_test.mjs
  $<TARGET_FILE:anneal_wasm> "${ANNEAL_NATIVE_CLI}")
# The module's WGSL run by headless Chromium through navigator.gpu (SwiftShader without a GPU; the
# JS runtime is web/anneal_webgpu.js): every value of every built-in program against the native CPU build.
find_program(ANNEAL_CHROMIUM NAMES chromium chromium-browser)
if(ANNEAL_CHROMIUM AND ANNEAL_NATIVE_CLI)
  add_test(NAME browser:programs COMMAND ${ANNEAL_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/tests/web/browser_test.mjs
    $<TARGET_FILE:anneal_wasm> ${ANNEAL_NATIVE_CLI} ${ANNEAL_CHROMIUM})
  set_tests_properties(browser:programs PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 240)
else()
  message(STATUS "browser:programs not registered: needs chromium and ANNEAL_NATIVE_CLI")
endif()
# `anneal viz` (the native CLI) serves this module with the page: the same bytes as `viz --out` writes,
# and a clear error for a port that is taken.
if(ANNEAL_NATIVE_CLI)
  add_test(NAME viz:serve COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/tests/web/viz_serve_test.sh ${ANNEAL_NATIVE_CLI}
    --wasm $<TARGET_FILE:anneal_wasm>)
  set_tests_properties(viz:serve PROPERTIES TIMEOUT 120)
endif()
# The visualizer page in headless Chromium (tests/web/viz_test.mjs, over the DevTools protocol: cdp.mjs):
# no console errors; every built-in program's and training step's node and kernel counts equal the native
# CLI's `graph|kernels --json`; phase colors and gold seam kernels; the kernels run on WebGPU against
# the reference evaluator; the MLP trains live (the loss falls over 50 steps); a screenshot per view in
# build-wasm/viz-screenshots/. The site is what `anneal viz --out` writes.
if(ANNEAL_CHROMIUM AND ANNEAL_NATIVE_CLI)
  set(ANNEAL_VIZ_SITE ${CMAKE_CURRENT_BINARY_DIR}/viz-site)
  add_test(NAME viz:site COMMAND ${ANNEAL_NATIVE_CLI} viz --out ${ANNEAL_VIZ_SITE} --wasm $<TARGET_FILE:anneal_wasm>)
  set_tests_properties(viz:site PROPERTIES FIXTURES_SETUP viz_site)
  add_test(NAME browser:viz COMMAND ${ANNEAL_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/tests/web/viz_test.mjs ${ANNEAL_VIZ_SITE}
    ${ANNEAL_NATIVE_CLI} ${ANNEAL_CHROMIUM} ${CMAKE_CURRENT_BINARY_DIR}/viz-screenshots)
  # RUN_SERIAL: the browser tests would otherwise share the 2 cores of CI with each other.
  set_tests_properties(browser:viz PROPERTIES FIXTURES_REQUIRED viz_site SKIP_RETURN_CODE 77 TIMEOUT 600 RUN_SERIAL TRUE)
endif()
