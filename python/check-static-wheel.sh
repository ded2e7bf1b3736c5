#!/usr/bin/env bash
# Builds the static wheel (NGRAMKIT_STATIC_STDLIB=1: the Swift runtime and Foundation linked into
# the package's library and tool), installs it into a fresh virtual environment, and runs it where
# Swift cannot be found: in a private mount namespace whose Swift toolchain folder is covered by an
# empty one, so no libswift*.so or libFoundation*.so can load. Fails if the library or the tool
# still needs a Swift library, or if the package does not build, score and sample there.
#
# Usage: bash python/check-static-wheel.sh   (needs `unshare -m`, i.e. root or user namespaces)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")   # .../usr
python3 -m venv "$work/build-env"
NGRAMKIT_STATIC_STDLIB=1 "$work/build-env/bin/pip" wheel -q --no-deps "$root/python" -w "$work/wheels"
wheel=$(ls "$work"/wheels/ngramkit-*.whl)
echo "wheel: $(basename "$wheel"), $(stat -c %s "$wheel") bytes"
python3 -m venv "$work/env"
"$work/env/bin/pip" install -q "$wheel"
package=$("$work/env/bin/python" -c 'import ngramkit, os; print(os.path.dirname(ngramkit.__file__))')
for binary in "$package/lib/libNGramKitCABI.so" "$package/bin/ngramkit"; do
    if ldd "$binary" | grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime' ; then
        echo "check-static-wheel: $binary still needs the Swift libraries above" >&2
        exit 1
    fi
done
mkdir -p "$work/empty"
unshare -m bash -c "mount --bind '$work/empty' '$toolchain' && cd '$work' && '$work/env/bin/python' -c '
import ngramkit, os
assert not os.path.exists(\"$toolchain/bin/swift\"), \"the toolchain is still visible\"
model = ngramkit.build(\"the cat sat on the mat\\nthe dog sat on the log\\n\", order=3)
print(\"without Swift:\", model.score(\"the cat sat\"), model.next_words(\"the\", k=2), model.generate(count=1, seed=1)[0][\"text\"])
'"
echo "check-static-wheel: the static wheel runs without Swift"
