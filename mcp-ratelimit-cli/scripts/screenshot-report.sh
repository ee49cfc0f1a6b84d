#!/bin/sh
# Renders a simulate --format html report in headless Chromium and writes a PNG screenshot.
#
#   mcp-ratelimit-cli/scripts/screenshot-report.sh REPORT.html OUT.png [WIDTH,HEIGHT]
#
# Needs Debian's chromium package (apt-get install chromium); installs nothing itself.
# Example, from the repository root after ./mvnw -q -pl mcp-ratelimit-cli -am package -DskipTests:
#   java -jar mcp-ratelimit-cli/target/mcp-ratelimit-cli.jar simulate \
#     mcp-ratelimit-examples/src/main/resources/policies/demo.yaml --trace mcp-ratelimit-examples/src/main/resources/traces/demo.jsonl \
#     --compare mcp-ratelimit-examples/src/main/resources/policies/demo-relaxed.yaml --format html -o /tmp/report.html
#   mcp-ratelimit-cli/scripts/screenshot-report.sh /tmp/report.html docs/images/simulate-report.png
set -eu
if [ $# -lt 2 ]; then
  echo "usage: $0 REPORT.html OUT.png [WIDTH,HEIGHT]" >&2
  exit 2
fi
report=$1
out=$2
size=${3:-1280,1600}
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "$chromium not found: install Debian's chromium package (apt-get install chromium) or set CHROMIUM" >&2
  exit 1
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
abs=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
"$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --disable-sync --no-first-run --user-data-dir="$profile" --window-size="$size" --screenshot="$out" \
  "file://$abs" 2>/dev/null
echo "wrote $out"
