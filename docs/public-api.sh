#!/usr/bin/env bash
# Prints the "Public API per module" section of docs/architecture.md from the compiled module
# descriptors: for each published module, the packages module-info.class exports (and to whom),
# then the public types of each exported package (nested types as Outer.Inner).
#
#   ./mvnw -B -q compile && docs/public-api.sh
#
# Needs only the JDK's javap. Reads target/classes of each module, so run it after a build.
set -euo pipefail
cd "$(dirname "$0")/.."
modules=(mcp-ratelimit-core mcp-ratelimit-sdk-adapter mcp-ratelimit-redis mcp-ratelimit-jdbc
         mcp-ratelimit-micrometer mcp-ratelimit-cli)
for m in "${modules[@]}"; do
  classes="$m/target/classes"
  [ -f "$classes/module-info.class" ] || { echo "no $classes/module-info.class: build first" >&2; exit 1; }
  # one directive a line: javap breaks "exports p to m" and "provides s with c, d" over several
  desc=$(javap "$classes/module-info.class" | grep -v '^Compiled from' | sed 's/^ *//' \
    | awk '{ line = line (line == "" ? "" : " ") $0 } /(;|\{|\})$/ { print line; line = "" }' \
    | sed 's/  */ /g')
  name=$(sed -n 's/^module \([^ @]*\).*/\1/p' <<<"$desc")
  echo "### \`$m\` (module \`$name\`)"
  echo
  grep -E '^(requires|exports|opens|uses|provides)' <<<"$desc" | grep -v '^requires java.base;' \
    | sed 's/;$//; s/\$/./g; s/.*/- `&`/'
  echo
  for pkg in $(sed -n 's/^exports \([^ ;]*\);$/\1/p' <<<"$desc"); do
    dir="$classes/${pkg//.//}"
    # javap prints a declaration only for the public classes it is given with -public
    mapfile -t names < <(find "$dir" -maxdepth 1 -name '*.class' ! -name 'package-info.class' \
        -printf '%f\n' | sed 's/\.class$//' | sort)
    types=$(javap -public -cp "$classes" "${names[@]/#/$pkg.}" 2>/dev/null \
      | sed -n "s/^public .*\(class\|interface\|enum\|record\|@interface\) $pkg\.\([A-Za-z0-9_\$]*\).*/\2/p" \
      | sort -u)
    # a nested type is reachable only when every enclosing type is public too
    list=""
    while read -r t; do
      [ -n "$t" ] || continue
      outer=${t%\$*}
      if [ "$outer" != "$t" ] && ! grep -qx "$(sed 's/[$]/\\$/g' <<<"$outer")" <<<"$types"; then continue; fi
      list+="${list:+, }\`${t//\$/.}\`"
    done <<<"$types"
    echo "- \`$pkg\`: $list"
  done
  echo
done
