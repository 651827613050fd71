# Shell functions shared by harness/run and harness/conformance (sourced, not run): the
# toolchain check, a temporary directory with its Wine prefix, the build, the registration of
# the server and the merged event log. The sourcing script sets PROG (its name in messages)
# before sourcing, and LOGS (a directory) before it calls register or events.
#
# Every Wine command runs under `timeout`; the prefix's wineserver (and with it every process
# of the prefix) is ended on exit, failure and signals included.

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WINE="$(command -v wine64 || echo /usr/lib/wine/wine64)"
WINESERVER="$(command -v wineserver || echo /usr/lib/wine/wineserver)"
CC=x86_64-w64-mingw32-gcc
CLSID='{6C0F3A4E-1D2B-4C5A-9E7F-0A1B2C3D4E5F}'   # harness/evt.h CLSID_HARNESS_STR
CLSID_B='{6C0F3A4E-1D2B-4C5A-9E7F-0A1B2C3D4E60}' # harness/evt.h CLSID_HARNESS_B_STR

# Exit 2 when Wine or mingw-w64 is missing.
harness_check_tools() {
    local tool
    for tool in "$WINE" "$WINESERVER" "$(command -v $CC || echo $CC)"; do
        if [ ! -x "$tool" ]; then
            echo "$PROG: $tool not found; run harness/setup" >&2
            exit 2
        fi
    done
}

# Makes WORK (a temporary directory) and points WINEPREFIX into it; the EXIT trap ends the
# prefix's wineserver and removes WORK unless HARNESS_KEEP=1.
harness_workdir() {
    WORK="$(mktemp -d /tmp/comlife-harness.XXXXXX)"
    export WINEPREFIX="$WORK/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="winemenubuilder.exe=d"
    unset DISPLAY WAYLAND_DISPLAY
    trap harness_cleanup EXIT
    trap 'exit 130' INT TERM   # a signal ends the run through the EXIT trap too
}

harness_cleanup() {
    # No process outlives the run: end this prefix's wineserver and every process in it.
    timeout 30 "$WINESERVER" -k >/dev/null 2>&1 || true
    timeout 30 "$WINESERVER" -w >/dev/null 2>&1 || true
    if [ "${HARNESS_KEEP:-0}" = 1 ]; then
        echo "$PROG: kept $WORK"
    else
        rm -rf "$WORK"
    fi
}

# A Unix path as Wine's Z: drive sees it.
winpath() { printf 'Z:%s' "${1//\//\\}"; }

# Builds server.exe and client.exe into $WORK/bin.
harness_build() {
    local prog
    mkdir -p "$WORK/bin"
    for prog in server client; do
        $CC -O2 -Wall -Wextra -Wno-unused-parameter -o "$WORK/bin/$prog.exe" "$HERE/$prog.c" \
            -lole32 -luuid
    done
}

# A fresh prefix in $WINEPREFIX.
harness_prefix() {
    timeout 180 "$WINE" wineboot -i >"$WORK/wineboot.log" 2>&1
    # wineboot returns before the prefix's first processes are done; let them finish.
    timeout 60 "$WINESERVER" -w
}

# Registers the server for both classes (the second is served by `--two-stas` only):
# LocalServer32 = server.exe with the given switches (COM appends -Embedding when it launches it).
register() {
    local clsid
    for clsid in "$CLSID" "$CLSID_B"; do
        timeout 60 "$WINE" reg add "HKLM\\Software\\Classes\\CLSID\\$clsid\\LocalServer32" /ve \
            /d "$(winpath "$WORK/bin/server.exe") $*" /f >>"$LOGS/reg.log" 2>&1
    done
}

# Points the harness programs' event logs (HARNESS_LOGDIR) at a new directory LOGS.
harness_logs() {
    LOGS="$1"
    mkdir -p "$LOGS"
    export HARNESS_LOGDIR
    HARNESS_LOGDIR="$(winpath "$LOGS")"
}

# The event lines of every process in LOGS, ordered by time (stable within one process: one
# process's lines keep their order, GetTickCount64 never goes back).
events() {
    cat "$LOGS"/*.log 2>/dev/null | grep '^EVT ' |
        awk '{ t = $3; sub(/^t=/, "", t); printf "%015d %s\n", t, $0 }' | sort -s -k1,1n |
        cut -d' ' -f2-
}

# The in-process DLL (dll.c, comlife_dll.dll) and its driver (inproc.c, inproc.exe), into
# $WORK/bin.
harness_build_inproc() {
    mkdir -p "$WORK/bin"
    $CC -O2 -Wall -Wextra -Wno-unused-parameter -shared -o "$WORK/bin/comlife_dll.dll" \
        "$HERE/dll.c" -lole32 -luuid
    $CC -O2 -Wall -Wextra -Wno-unused-parameter -o "$WORK/bin/inproc.exe" "$HERE/inproc.c" \
        -lole32 -luuid
}

# Registers the DLL: InprocServer32 = comlife_dll.dll, ThreadingModel=Both (the model's inproc).
CLSID_DLL='{6C0F3A4E-1D2B-4C5A-9E7F-0A1B2C3D4E61}' # harness/inproc.h CLSID_HARNESS_DLL_STR
register_inproc() {
    local key="HKLM\\Software\\Classes\\CLSID\\$CLSID_DLL\\InprocServer32"
    timeout 60 "$WINE" reg add "$key" /ve /d "$(winpath "$WORK/bin/comlife_dll.dll")" /f \
        >>"$LOGS/reg.log" 2>&1
    timeout 60 "$WINE" reg add "$key" /v ThreadingModel /d Both /f >>"$LOGS/reg.log" 2>&1
}
