#!/bin/sh
# The test suite: installs what it needs, builds, runs every ctest tier
# (unit, anomaly, conformance, models). Ends with ctest's summary and a
# "N passed, N failed" line.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/deps.sh test
build=${BUILD_DIR:-build}
EDGERUN_ONNX_NODE_TESTS=$(scripts/node-tests-dir.sh "$build")
export EDGERUN_ONNX_NODE_TESTS
[ -x scripts/setup-ort.sh ] && scripts/setup-ort.sh "$root/$build/npm" >/dev/null
export ER_ORT_NODE_MODULES="$root/$build/npm/node_modules"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
cd "$build"
set +e
ctest --output-on-failure "$@" > ctest.log 2>&1
rc=$?
set -e
cat ctest.log
# each tier's own summary (node-test counts, model matches, unit totals)
grep -hE '^(onnx node tests:|[0-9]+ passed, [0-9]+ failed)' Testing/Temporary/LastTest.log 2>/dev/null | sed 's/^/  tier: /' || true
passed=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* Passed' ctest.log || true)
failed=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .*(Failed|\*\*\*)' ctest.log || true)
echo "$passed passed, $failed failed"
exit $rc
