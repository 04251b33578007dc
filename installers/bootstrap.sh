#!/usr/bin/env bash
# Installs everything a fresh Debian 12 machine lacks to build, run and test Kiln.
# Idempotent: a second run only checks. Everything project-local lands in .deps/.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
deps="$here/.deps"
mkdir -p "$deps"

apt_pkgs=(build-essential cmake ninja-build pkg-config ccache
          qt6-base-dev qt6-charts-dev libqt6opengl6-dev libqscintilla2-qt6-dev libqt6svg6 libkf5syntaxhighlighting-tools libcurl4-openssl-dev python3-sqlparse
          libsqlite3-dev sqlite3 libtomlplusplus-dev libssl-dev libxxhash-dev libwslay-dev qt6-websockets-dev
          libuv1 libicu72 libnghttp2-14 libbrotli1 zlib1g
          nodejs npm xvfb xauth wrk hyperfine clang-format)

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs/npm may come from another source on the image: only need the commands.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=(); for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: apt installing ${missing[*]}"
  sudo_ apt-get update -qq
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# V8 comes from Debian's libnode108 (Node 18.20, V8 10.2). The image's Node.js 20 blocks
# installing libnode-dev, so the packages are unpacked into a local prefix instead.
# node-llhttp ships the llhttp C sources the HTTP server is built from.
v8stamp="$deps/v8/.stamp"
if [ ! -f "$v8stamp" ]; then
  echo "bootstrap: fetching libnode108, libnode-dev, libc-ares2, node-llhttp"
  tmp=$(mktemp -d)
  ( cd "$tmp"
    apt-get download libnode108 libnode-dev libc-ares2 node-llhttp 2>/dev/null \
      || { sudo_ apt-get update -qq; apt-get download libnode108 libnode-dev libc-ares2 node-llhttp; } )
  rm -rf "$deps/v8"; mkdir -p "$deps/v8"
  for f in "$tmp"/*.deb; do dpkg -x "$f" "$deps/v8"; done
  ver=$(dpkg-deb -f "$tmp"/libnode108_*.deb Version)
  case "$ver" in 18.*) ;; *) echo "bootstrap: unexpected libnode108 version $ver" >&2; exit 1;; esac
  rm -rf "$tmp"
  echo "$ver" > "$v8stamp"
fi

# Pyodide (and the JS polyfills) from npm, pinned with integrity hashes by the lockfile.
npmdir="$deps/npm"
if ! cmp -s "$here/resources/npm/package-lock.json" "$npmdir/package-lock.json" 2>/dev/null \
   || [ ! -d "$npmdir/node_modules/pyodide" ]; then
  echo "bootstrap: npm ci (pyodide)"
  rm -rf "$npmdir"; mkdir -p "$npmdir"
  cp "$here/resources/npm/package.json" "$here/resources/npm/package-lock.json" "$npmdir/"
  ( cd "$npmdir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error )
fi
echo "bootstrap: ok (V8 $(cat "$v8stamp"), pyodide $(node -p "require('$npmdir/node_modules/pyodide/package.json').version"))"
