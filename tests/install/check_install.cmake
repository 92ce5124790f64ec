# Run by the install_find_package test (see CMakeLists.txt here) with cmake -P:
#   1. cmake --install the main build into WORK_DIR/prefix,
#   2. configure examples/find_package with CMAKE_PREFIX_PATH=that prefix (same generator, compiler
#      and flags as the main build) and check that find_package picked that very prefix,
#   3. build it, run the app and check that it prints `x`.
# WORK_DIR is wiped first, so every run starts from an empty prefix and a fresh configure.

foreach(var ANNEAL_BUILD_DIR EXAMPLE_SOURCE_DIR WORK_DIR GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "check_install.cmake: -D${var}=... is required")
  endif()
endforeach()

set(prefix "${WORK_DIR}/prefix")
set(example_build "${WORK_DIR}/example-build")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

# Runs a command; on failure stops the test with the command line and everything it printed.
# The combined stdout+stderr is returned in step_output.
function(run_step what)
  execute_process(COMMAND ${ARGN}
    RESULT_VARIABLE rc
    OUTPUT_VARIABLE out
    ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    list(JOIN ARGN " " cmdline)
    message(FATAL_ERROR "${what} failed (exit ${rc}):\n  ${cmdline}\n${out}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

# Multi-config generators need the configuration named at install and build time.
set(config_args)
if(NOT "${CONFIG}" STREQUAL "")
  set(config_args --config "${CONFIG}")
endif()

message(STATUS "installing ${ANNEAL_BUILD_DIR} into ${prefix}")
run_step("install (is the library built? run the full build before ctest)"
  "${CMAKE_COMMAND}" --install "${ANNEAL_BUILD_DIR}" --prefix "${prefix}" ${config_args})

# anneal_ROOT in the environment outranks CMAKE_PREFIX_PATH in find_package's search; drop it (and
# its relatives) so a developer's shell setup cannot redirect the test to another install.
foreach(var anneal_ROOT ANNEAL_ROOT anneal_DIR)
  unset(ENV{${var}})
endforeach()
set(configure_args
  -S "${EXAMPLE_SOURCE_DIR}" -B "${example_build}"
  -G "${GENERATOR}"
  "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
  "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
  "-DCMAKE_EXE_LINKER_FLAGS=${EXE_LINKER_FLAGS}"
  "-DCMAKE_PREFIX_PATH=${prefix}"
  # Only the fresh prefix may satisfy find_package, never a registry entry from another build.
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if(NOT "${MAKE_PROGRAM}" STREQUAL "")
  list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
if(NOT "${CONFIG}" STREQUAL "")
  list(APPEND configure_args "-DCMAKE_BUILD_TYPE=${CONFIG}")
endif()
message(STATUS "configuring ${EXAMPLE_SOURCE_DIR}")
run_step("configure examples/find_package" "${CMAKE_COMMAND}" ${configure_args})

# An anneal found elsewhere (an older install, anneal_ROOT in the environment) would make this test
# prove nothing, so insist that the package came from the prefix just installed.
file(STRINGS "${example_build}/CMakeCache.txt" anneal_dir_line REGEX "^anneal_DIR:")
string(REGEX REPLACE "^anneal_DIR:[^=]*=" "" anneal_dir "${anneal_dir_line}")
file(REAL_PATH "${prefix}" real_prefix)
if(anneal_dir STREQUAL "" OR NOT EXISTS "${anneal_dir}")
  message(FATAL_ERROR "configure succeeded but anneal_DIR is unset:\n${step_output}")
endif()
file(REAL_PATH "${anneal_dir}" real_anneal_dir)
string(FIND "${real_anneal_dir}/" "${real_prefix}/" at)
if(NOT at EQUAL 0)
  message(FATAL_ERROR "find_package(anneal) used ${anneal_dir}, not the fresh install in ${prefix}")
endif()

message(STATUS "building the example")
run_step("build examples/find_package" "${CMAKE_COMMAND}" --build "${example_build}" ${config_args})

# Single-config generators put the program at the top of the build tree, multi-config ones in a
# per-configuration folder.
set(app "${example_build}/app")
if(NOT EXISTS "${app}" AND EXISTS "${example_build}/${CONFIG}/app")
  set(app "${example_build}/${CONFIG}/app")
endif()

execute_process(COMMAND "${app}"
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err
  OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT rc EQUAL 0 OR NOT out STREQUAL "x")
  message(FATAL_ERROR "${app} exited ${rc}, expected exit 0 and output `x`.\nstdout:\n${out}\nstderr:\n${err}")
endif()
message(STATUS "installed anneal works: (x*4 + 3) // 4 simplified to `${out}`")
