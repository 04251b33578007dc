#!/usr/bin/env bash
# Screenshots of the studio in use (editor, composer with a JSON response, log with a
# traceback), taken in a real X server (Xvfb): scripts/screenshots.sh [OUTDIR] [BUILD_DIR].
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/docs/screenshots}
build=${2:-$here/build/dev}
exec xvfb-run -a -s "-screen 0 1366x768x24" "$build/bin/studio_screenshots" "$out"
