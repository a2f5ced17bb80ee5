#!/bin/sh
# The attention page in a real browser: headless Chromium parses and lays
# out the page of `inspect attention`, and the DOM it dumps must hold one SVG
# per head and, in each, a square per weight and the colour bar's eleven.
# Where chromium is missing or cannot start, the test says so and passes.
set -eu
LONGHAND=${LONGHAND:-build/longhand}
L=2 H=3 N=4
T=$((2 * N))
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "test-html: SKIPPED: no chromium (Debian's chromium; make deps installs it)"
    exit 0
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$LONGHAND" init -L $L -H $H -C 24 -T 16 -V 50 -s 3 -o "$dir/model.bin" >/dev/null
"$LONGHAND" inspect attention -m "$dir/model.bin" --repeat $N --seed 5 \
    --html "$dir/page.html" >/dev/null
if ! timeout 120 "$browser" --headless --no-sandbox --disable-gpu \
        --disable-background-networking --no-first-run --disable-component-update \
        --disable-sync --user-data-dir="$dir/profile" \
        --dump-dom "file://$dir/page.html" >"$dir/dom.html" 2>"$dir/chromium.err" \
        || ! grep -q '</html>' "$dir/dom.html"; then
    echo "test-html: SKIPPED: chromium cannot run here:"
    tail -5 "$dir/chromium.err"
    exit 0
fi
count() { grep -o "$1" "$dir/dom.html" | wc -l; }
svgs=$(count '<svg') rects=$(count '<rect') titles=$(count '<title>[01]\.[0-9]*</title>')
want_rects=$((L * H * (T * T + 11)))
fail=0
[ "$svgs" -eq $((L * H)) ] || { echo "test-html: $svgs SVGs drawn, not $((L * H))"; fail=1; }
[ "$rects" -eq $want_rects ] || { echo "test-html: $rects squares drawn, not $want_rects"; fail=1; }
[ "$titles" -ge $((L * H * T * T)) ] || { echo "test-html: $titles weights in tooltips"; fail=1; }
[ $fail -eq 0 ] && echo "test-html: chromium drew $svgs heads of $((T * T)) weights each"
exit $fail
