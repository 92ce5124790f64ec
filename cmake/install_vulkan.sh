#!/bin/sh
# A Vulkan driver for the WEBGPU device (Dawn runs on Vulkan on Linux). On a machine without a GPU it
# is Mesa's lavapipe (software): Debian 12's own (Mesa 22.3) lacks two descriptor-indexing features
# Dawn requires and is refused, so Mesa 25 comes from bookworm-backports (Debian's own archive).
# Without root, or off Debian 12, it only says what to do: the WebGPU tests then skip, nothing fails.
set -eu
installed=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
major=${installed%%.*}
major=${major#*:}
if [ -n "$installed" ] && [ "$major" -ge 24 ] 2>/dev/null && dpkg-query -W -f='${Status}' libvulkan1 2>/dev/null | grep -q "ok installed"; then
  echo "make deps: Vulkan driver present (mesa-vulkan-drivers $installed)"
  exit 0
fi
if ! grep -q '^VERSION_CODENAME=bookworm' /etc/os-release 2>/dev/null; then
  echo "make deps: not Debian 12; for the WEBGPU device install a Vulkan driver (Mesa >= 24 lavapipe, or your GPU's)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "make deps: for the WEBGPU device, run as root: add bookworm-backports to apt's sources, then"
  echo "  apt-get install -y --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1"
  exit 0
fi
list=/etc/apt/sources.list.d/bookworm-backports.sources
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  cat > "$list" <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
fi
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1
