#!/usr/bin/env bash
# Installs the Debian 12 packages the build, the tests and the demo need, when any is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libzmq3-dev cppzmq-dev libsqlite3-dev libprotobuf-dev protobuf-compiler
  libyaml-cpp-dev libspdlog-dev libcli11-dev nlohmann-json3-dev liblemon-dev
  libgtest-dev libglpk-dev
  libcpp-httplib-dev                                          # ppe-web's HTTP server
  chromium chromium-driver python3-selenium fonts-noto-cjk    # ppe-web's browser test
  chromium-l10n                                               # ... in Chinese, as the operators' browsers are
  curl                                                        # bench.sh: ppe-web's page timings
  openssl                                                     # ppe-web's TLS test makes its certificate
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "bootstrap: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
