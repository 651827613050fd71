/* One event-line format for every harness program (docs/wine.md, "Event lines"):
 *
 *   EVT pid=<pid> t=<ms> prog=<program> <event> key=value ...
 *
 * t is GetTickCount64() (milliseconds, one clock for every process of the prefix); each
 * process writes its own file <prog>-<pid>.log in the directory named by the environment
 * variable HARNESS_LOGDIR (a launched server inherits its client's environment), or to stdout
 * when it is not set. One line per event, flushed at once, so a log survives a killed process.
 */
#ifndef HARNESS_EVT_H
#define HARNESS_EVT_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <windows.h>

static FILE *evt_file;
static const char *evt_prog = "?";

static void evt_open(const char *prog)
{
    char path[MAX_PATH];
    const char *dir = getenv("HARNESS_LOGDIR");
    evt_prog = prog;
    evt_file = stdout;
    if (dir && *dir) {
        snprintf(path, sizeof path, "%s\\%s-%lu.log", dir, prog, GetCurrentProcessId());
        FILE *f = fopen(path, "a");
        if (f) evt_file = f;
    }
}

static void evt(const char *event, const char *fmt, ...)
{
    char rest[512] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(rest, sizeof rest, fmt, ap);
        va_end(ap);
    }
    fprintf(evt_file, "EVT pid=%lu t=%llu prog=%s %s%s%s\n", GetCurrentProcessId(),
            (unsigned long long)GetTickCount64(), evt_prog, event, *rest ? " " : "", rest);
    fflush(evt_file);
}

/* The class the harness registers (HKLM\Software\Classes\CLSID\{...}\LocalServer32). */
static const CLSID CLSID_HarnessServer = {
    0x6c0f3a4e, 0x1d2b, 0x4c5a, {0x9e, 0x7f, 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f}};
#define CLSID_HARNESS_STR "{6C0F3A4E-1D2B-4C5A-9E7F-0A1B2C3D4E5F}"
/* The second class, registered by the second STA of `server.exe --two-stas` (the model's
 * CLSID_B of local-multi-sta). */
static const CLSID CLSID_HarnessServerB = {
    0x6c0f3a4e, 0x1d2b, 0x4c5a, {0x9e, 0x7f, 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x60}};
#define CLSID_HARNESS_B_STR "{6C0F3A4E-1D2B-4C5A-9E7F-0A1B2C3D4E60}"

#endif
