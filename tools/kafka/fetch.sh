#!/usr/bin/env bash
# Collects the Kafka broker's jars into .cache/kafka/libs (Maven caches them in ~/.m2).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
libs="$root/.cache/kafka/libs"
if [ -f "$libs/.complete" ]; then exit 0; fi
rm -rf "$libs"
mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs"
touch "$libs/.complete"
echo "kafka jars in $libs ($(ls "$libs" | wc -l) files)"
