#!/bin/sh
# Run HERE (Debian 12): packs the C++ build dependencies the GPU machine's image lacks (headers, CMake
# configs and the shared libraries they pull in) into devpack/ (ignored by git). `run` then carries
# devpack and bench/device/build.sh builds with it there. libvulkan1: the Vulkan loader, which the
# image lacks although it has the NVIDIA Vulkan driver (the WEBGPU device runs on it).
set -eu
cd "$(dirname "$0")/../.."
packages="nlohmann-json3-dev libcli11-dev libfmt-dev libfmt9 libgtest-dev libgmock-dev libcurl4-openssl-dev libcurl4
  libssl-dev libssl3 zlib1g-dev libnghttp2-14 librtmp1 libssh2-1 libpsl5 libbrotli1 libldap-2.5-0 libgssapi-krb5-2
  libkrb5-3 libk5crypto3 libkrb5support0 libsasl2-2 libzstd1 libidn2-0 libgnutls30 libhogweed6 libnettle8 libp11-kit0
  libtasn1-6 libunistring2 libkeyutils1 libvulkan1 libutf8proc-dev libutf8proc2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download $packages >/dev/null 2>&1)
rm -rf devpack && mkdir -p devpack/root
for deb in "$work"/*.deb; do dpkg -x "$deb" devpack/root; done
rm -rf devpack/root/usr/share/doc devpack/root/usr/share/man devpack/root/usr/share/lintian
rm -f devpack/root/usr/lib/x86_64-linux-gnu/libcurl.a devpack/root/usr/lib/x86_64-linux-gnu/libcrypto.a \
  devpack/root/usr/lib/x86_64-linux-gnu/libssl.a
du -sh devpack
