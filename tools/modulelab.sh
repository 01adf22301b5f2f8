#!/usr/bin/env bash
# Set up, build, run and test ModuleLab on Debian 12 from a clean clone.
#
#   tools/modulelab.sh run [FILE]   install missing packages, build, start ModuleLab
#   tools/modulelab.sh test         install missing packages, build, run every test,
#                                   then an ASan+UBSan engine build and its tests
#   tools/modulelab.sh deps         only install missing packages
#   tools/modulelab.sh build        only install missing packages and build build/
#
# Exits non-zero on the first failed step (a failed test suite still lets the
# other suite run, so one run shows both results).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# The file that `run` opens when none is given.
DEFAULT_EXAMPLE="resources/examples/multitask.json"
# `run` starts the GUI when a display is available; 0 always runs the CLI summary.
RUN_GUI_WITH_DISPLAY=1

# Debian 12 packages, installed with --no-install-recommends (that is enough:
# qt6-base-dev itself depends on libgl-dev, libvulkan-dev and the platform
# plugins its CMake config and the program need).
PACKAGES=(
    g++                     # C++20 compiler; libgomp (OpenMP) comes with it
    cmake ninja-build       # configure and build
    pkg-config              # for pkg_check_modules; today's configure passes without it
    qt6-base-dev            # Qt Core/Gui/Widgets/PrintSupport/Test + CMake config
    qt6-svg-dev             # Qt6Svg CMake config (there is no libqt6svg6-dev in Debian 12)
    libeigen3-dev           # engine linear algebra
    libqcustomplot-dev      # training plots (QCustomPlotQt6 CMake config)
    nlohmann-json3-dev      # model JSON format
    zlib1g-dev              # gzip'ed IDX datasets
    xvfb xauth              # xvfb-run: the GUI on a machine without a display
    dataset-fashion-mnist   # /usr/share/datasets/fashion-mnist for dataset tests and examples
)

JOBS="$(nproc)"

log() { printf '\n==> %s\n' "$*"; }

# Installs whatever in PACKAGES is missing; touches apt only if something is.
installDeps() {
    local missing=() pkg
    for pkg in "${PACKAGES[@]}"; do
        if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" != installed ]]; then
            missing+=("$pkg")
        fi
    done
    if ((${#missing[@]} == 0)); then
        log "All ${#PACKAGES[@]} Debian packages are installed"
        return 0
    fi
    local sudo=()
    if ((EUID != 0)); then
        if ! command -v sudo >/dev/null; then
            echo "error: missing packages (${missing[*]}), and not root and no sudo to install them" >&2
            exit 1
        fi
        sudo=(sudo)
    fi
    log "Installing ${missing[*]}"
    local start=$SECONDS
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}"
    log "Packages installed in $((SECONDS - start)) s"
}

# configureAndBuild DIR [CMAKE ARGS...]
configureAndBuild() {
    local dir="$1"
    shift
    local start=$SECONDS
    log "Configuring $dir"
    cmake -S "$ROOT" -B "$ROOT/$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
    log "Configured $dir in $((SECONDS - start)) s; building with -j$JOBS"
    start=$SECONDS
    cmake --build "$ROOT/$dir" -j"$JOBS"
    log "Built $dir in $((SECONDS - start)) s"
}

# runCtest DIR LOG [CTEST ARGS...]: runs the suite, keeps its output in LOG.
runCtest() {
    local dir="$1" out="$2"
    shift 2
    log "Testing $dir: ctest --output-on-failure $*"
    local status=0
    ctest --test-dir "$ROOT/$dir" --output-on-failure --no-tests=error "$@" 2>&1 | tee "$out" || status=$?
    return "$status"
}

cmdRun() {
    installDeps
    configureAndBuild build
    local file="${1:-$DEFAULT_EXAMPLE}"
    if ((RUN_GUI_WITH_DISPLAY)) && [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
        log "Starting build/gui/modulelab $file"
        exec "$ROOT/build/gui/modulelab" "$file"
    fi
    log "No display: build/engine/modulelab-cli summary $file"
    exec "$ROOT/build/engine/modulelab-cli" summary "$file"
}

cmdTest() {
    installDeps
    configureAndBuild build
    LOGS="$(mktemp -d)"
    trap 'rm -rf "$LOGS"' EXIT
    local failed=0
    runCtest build "$LOGS/main.log" || failed=1

    # -O1: sanitizer builds of Eigen code compile far faster than at -O3 and still run the suite quickly.
    configureAndBuild build-asan -DMODULELAB_SANITIZE=address,undefined -DMODULELAB_BUILD_GUI=OFF \
        -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG"
    runCtest build-asan "$LOGS/asan.log" -L engine || failed=1

    log "Summary"
    echo "build/ (all tests):"
    grep -E 'tests passed|tests failed|Total Test time|No tests were found' "$LOGS/main.log" | sed 's/^/  /' || true
    echo "build-asan/ (address,undefined; -L engine):"
    grep -E 'tests passed|tests failed|Total Test time|No tests were found' "$LOGS/asan.log" | sed 's/^/  /' || true
    if ((failed)); then
        echo "FAILED" >&2
        exit 1
    fi
    echo "OK"
}

usage() {
    sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

case "${1:-}" in
    run) shift; cmdRun "$@" ;;
    test) cmdTest ;;
    deps) installDeps ;;
    build) installDeps; configureAndBuild build ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
esac
