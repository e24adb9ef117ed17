#!/bin/sh
# Regenerates the SVG pictures that README.md and docs/how-it-works.md show.
# Run from the repository root, with a release build:
#
#   cargo build --release && docs/pictures.sh target/release/asyncdemo
set -eu
bin=${1:-asyncdemo}
"$bin" count -n 3 -d 200ms --blocking -q --svg docs/blocking.svg
"$bin" count -n 3 -d 200ms -q --svg docs/async.svg
"$bin" count -n 1000000 -d 1s -q --svg docs/million.svg
"$bin" compare count -n 3 -d 200ms --svg docs/compare.svg >/dev/null
