#!/bin/sh
# Writes docs/screenshots/<example>.png: each example opened in the real
# window (1600x1000) under a virtual display, grabbed with QWidget::grab()
# by `modulelab --screenshot`. Usage: tools/screenshots/make-screenshots.sh [build-dir]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
app=$build/gui/modulelab
out=$root/docs/screenshots
mkdir -p "$out"
# A private settings home: no saved dock layout or theme changes the pictures.
HOME=$(mktemp -d); export HOME
trap 'rm -rf "$HOME"' EXIT
shot() { # name, then modulelab arguments
    name=$1; shift
    xvfb-run -a -s "-screen 0 1600x1000x24" "$app" --screenshot "$out/$name.png" "$@"
}
for f in multitask resnet siamese simple_cnn resnet_tutorial; do
    shot "$f" "$root/resources/examples/$f.json"
done
# Inside the tutorial's block1, where the error is, with the add node selected.
shot resnet_tutorial_block1 --enter h1 --select sum "$root/resources/examples/resnet_tutorial.json"
shot siamese_light --light --select ea "$root/resources/examples/siamese.json"
ls -l "$out"
