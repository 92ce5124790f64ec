#!/bin/sh
# Run ON THE GPU MACHINE (Ubuntu 24.04, CUDA 13): configures and builds SRC into BUILD with the
# dependencies from devpack/ (bench/device/make_devpack.sh). Usage: bench/device/build.sh SRC BUILD [TARGETS...]
# Extra configure flags in $CMAKE_EXTRA. Afterwards run binaries with LD_LIBRARY_PATH=$PWD/devpack/root/usr/lib/x86_64-linux-gnu.
set -eu
src=$1 build=$2
shift 2
pack="$(cd "$(dirname "$0")/../.." && pwd)/devpack/root"
lib="$pack/usr/lib/x86_64-linux-gnu"
# pkg-config files (utf8proc's) name /usr: read them as if devpack/root were the root.
export PKG_CONFIG_PATH="$lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$pack"
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DANNEAL_WERROR=OFF \
  -DCMAKE_PREFIX_PATH="$pack/usr;$lib/cmake;$pack/usr/share/cmake" -DCMAKE_INCLUDE_PATH="$pack/usr/include" \
  -DCMAKE_LIBRARY_PATH="$lib" -DCMAKE_CXX_FLAGS="-isystem $pack/usr/include -isystem $pack/usr/include/x86_64-linux-gnu" \
  -DCMAKE_EXE_LINKER_FLAGS="-L$lib -Wl,-rpath-link,$lib" ${CMAKE_EXTRA:-} >/dev/null
cmake --build "$build" -- "$@"
