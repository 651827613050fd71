/* Client driver: performs the scripted sequence given on its command line, one step per
 * argument, and writes an event line (evt.h) for every step with its HRESULT. Steps:
 *   cocreate          CoCreateInstance(CLSID_HarnessServer, CLSCTX_LOCAL_SERVER, IID_IPersist)
 *   cocreate-b        the same for CLSID_HarnessServerB (server.exe --two-stas's second class)
 *   getclassobject    CoGetClassObject(CLSID_HarnessServer, CLSCTX_LOCAL_SERVER, IID_IClassFactory)
 *   createinstance    IClassFactory::CreateInstance(IID_IPersist) on the class-object proxy
 *   lockserver 1|0    IClassFactory::LockServer(fLock) on the class-object proxy; LockServer(FALSE)
 *                     is skipped when the client holds no lock (its LockServer(TRUE) failed, as
 *                     it does on Wine): a failed call drops the steps that need its result, as
 *                     the model's clients do (spec/assumptions.md A-SCRIPTS)
 *   call              IPersist::GetClassID on the object proxy
 *   release obj|cf    Release of the object proxy or the class-object proxy
 *   sleep MS          waits MS ms, dispatching messages
 *   die               the client process dies: TerminateProcess on itself, releasing nothing
 *   wait-event TEXT   waits (at most 30 s, dispatching messages) until a line of any log in
 *                     HARNESS_LOGDIR contains TEXT: a schedule point across processes
 *   wait-exit TEXT    the same, then waits (within the same 30 s) until the process that wrote
 *                     the line has ended: a call "after the server's exit" reaches a process
 *                     that is gone (RPC_S_SERVER_UNAVAILABLE), not one still tearing down its
 *                     RPC endpoints, where the call is cut off (RPC_S_CALL_FAILED)
 * A first argument `--as NAME` names the program in its event lines (prog=NAME instead of
 * prog=client; `comlife repro` names its clients client1, client2, ...). Every step that returns
 * an HRESULT also writes `done step=N op=OP hr=0x...;`, a Release `done step=N op=OP;` (N counts
 * those steps from 1): the lines `comlife repro`'s run.sh waits for and compares with the trace;
 * a skipped LockServer(FALSE) writes `done step=N op=LockServerFalse skipped=not-locked;`, so
 * the later steps keep their numbers.
 * A step that needs a pointer the client does not hold is logged as skipped. The client
 * releases whatever it still holds at the end, then CoUninitialize.
 */
#define COBJMACROS
#define CINTERFACE
#include <windows.h>
#include <objbase.h>
#include <string.h>
#include "evt.h"

/* The pid of the process whose log line in HARNESS_LOGDIR contains text, 0 when no line does
 * (this process's own lines, which name the text, are skipped). */
static DWORD logs_contain(const char *text)
{
    char pattern[MAX_PATH], path[MAX_PATH], line[1024], self[32];
    const char *dir = getenv("HARNESS_LOGDIR");
    WIN32_FIND_DATAA fd;
    HANDLE h;
    DWORD found = 0;
    unsigned long pid;
    if (!dir || !*dir) return 0;
    snprintf(self, sizeof self, "EVT pid=%lu ", GetCurrentProcessId());
    snprintf(pattern, sizeof pattern, "%s\\*.log", dir);
    h = FindFirstFileA(pattern, &fd);
    if (h == INVALID_HANDLE_VALUE) return 0;
    do {
        FILE *f;
        snprintf(path, sizeof path, "%s\\%s", dir, fd.cFileName);
        f = fopen(path, "r");
        if (!f) continue;
        while (!found && fgets(line, sizeof line, f))
            if (strncmp(line, self, strlen(self)) && strstr(line, text)
                && sscanf(line, "EVT pid=%lu ", &pid) == 1 && pid)
                found = (DWORD)pid;
        fclose(f);
    } while (!found && FindNextFileA(h, &fd));
    FindClose(h);
    return found;
}

static int done_steps;
static void done(const char *op, HRESULT hr)
{
    evt("done", "step=%d op=%s hr=0x%08lx;", ++done_steps, op, (unsigned long)hr);
}
/* A step with no HRESULT (a Release) still counts. */
static void done_no_hr(const char *op)
{
    evt("done", "step=%d op=%s;", ++done_steps, op);
}
/* A step the script drops (its HRESULT is not observed). */
static void done_skipped(const char *op, const char *reason)
{
    evt("done", "step=%d op=%s skipped=%s;", ++done_steps, op, reason);
}

static void pump(DWORD ms)
{
    ULONGLONG end = GetTickCount64() + ms;
    for (;;) {
        MSG msg;
        ULONGLONG now = GetTickCount64();
        if (now >= end) break;
        MsgWaitForMultipleObjects(0, NULL, FALSE, (DWORD)(end - now), QS_ALLINPUT);
        while (PeekMessageA(&msg, NULL, 0, 0, PM_REMOVE)) {
            TranslateMessage(&msg);
            DispatchMessageA(&msg);
        }
    }
}

int main(int argc, char **argv)
{
    IClassFactory *cf = NULL;
    IPersist *obj = NULL;
    HRESULT hr;
    ULONGLONG t0;
    int i, bad = 0, locked = 0;

    int first = 1;
    if (argc > 2 && !strcmp(argv[1], "--as")) first = 3;
    evt_open(first == 3 ? argv[2] : "client");
    hr = CoInitializeEx(NULL, COINIT_APARTMENTTHREADED);
    evt("client-start", "coinitialize=0x%08lx steps=%d", (unsigned long)hr, argc - first);

    for (i = first; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "cocreate") || !strcmp(s, "cocreate-b")) {
            int b = !strcmp(s, "cocreate-b");
            if (obj) { IPersist_Release(obj); obj = NULL; }
            evt("activation-sent", "via=CoCreateInstance class=%s", b ? "B" : "A");
            t0 = GetTickCount64();
            hr = CoCreateInstance(b ? &CLSID_HarnessServerB : &CLSID_HarnessServer, NULL,
                                  CLSCTX_LOCAL_SERVER, &IID_IPersist, (void **)&obj);
            evt("activation-answered", "via=CoCreateInstance hr=0x%08lx ms=%llu class=%s",
                (unsigned long)hr, GetTickCount64() - t0, b ? "B" : "A");
            done("CoCreateInstance", hr);
            if (FAILED(hr)) obj = NULL;
        } else if (!strcmp(s, "getclassobject")) {
            if (cf) { IClassFactory_Release(cf); cf = NULL; }
            evt("activation-sent", "via=CoGetClassObject");
            t0 = GetTickCount64();
            hr = CoGetClassObject(&CLSID_HarnessServer, CLSCTX_LOCAL_SERVER, NULL,
                                  &IID_IClassFactory, (void **)&cf);
            evt("activation-answered", "via=CoGetClassObject hr=0x%08lx ms=%llu",
                (unsigned long)hr, GetTickCount64() - t0);
            done("CoGetClassObject", hr);
            if (FAILED(hr)) cf = NULL;
        } else if (!strcmp(s, "createinstance")) {
            if (!cf) { evt("skipped", "step=createinstance reason=no-class-object"); bad = 1; continue; }
            if (obj) { IPersist_Release(obj); obj = NULL; }
            evt("activation-sent", "via=IClassFactory::CreateInstance");
            t0 = GetTickCount64();
            hr = IClassFactory_CreateInstance(cf, NULL, &IID_IPersist, (void **)&obj);
            evt("activation-answered", "via=IClassFactory::CreateInstance hr=0x%08lx ms=%llu",
                (unsigned long)hr, GetTickCount64() - t0);
            done("CreateInstance", hr);
            if (FAILED(hr)) obj = NULL;
        } else if (!strcmp(s, "lockserver") && i + 1 < argc) {
            int lock = atoi(argv[++i]);
            if (!cf) { evt("skipped", "step=lockserver reason=no-class-object"); bad = 1; continue; }
            if (!lock && !locked) {
                evt("skipped", "step=lockserver fLock=0 reason=not-locked");
                done_skipped("LockServerFalse", "not-locked");
                continue;
            }
            hr = IClassFactory_LockServer(cf, lock);
            evt("lockserver", "fLock=%d hr=0x%08lx", lock, (unsigned long)hr);
            locked = lock ? SUCCEEDED(hr) : 0;
            done(lock ? "LockServerTrue" : "LockServerFalse", hr);
        } else if (!strcmp(s, "call")) {
            CLSID clsid;
            if (!obj) { evt("skipped", "step=call reason=no-object"); bad = 1; continue; }
            hr = IPersist_GetClassID(obj, &clsid);
            evt("call", "method=GetClassID hr=0x%08lx clsid-ok=%d", (unsigned long)hr,
                SUCCEEDED(hr) && IsEqualCLSID(&clsid, &CLSID_HarnessServer));
            done("Call", hr);
        } else if (!strcmp(s, "release") && i + 1 < argc) {
            const char *what = argv[++i];
            if (!strcmp(what, "obj") && obj) {
                evt("release", "what=obj refs=%lu", IPersist_Release(obj));
                obj = NULL;
                done_no_hr("ReleaseObject");
            } else if (!strcmp(what, "cf") && cf) {
                evt("release", "what=cf refs=%lu", IClassFactory_Release(cf));
                cf = NULL;
                done_no_hr("ReleaseFactory");
            } else {
                evt("skipped", "step=release what=%s reason=not-held", what);
                bad = 1;
            }
        } else if ((!strcmp(s, "wait-event") || !strcmp(s, "wait-exit")) && i + 1 < argc) {
            const char *text = argv[++i];
            ULONGLONG end = GetTickCount64() + 30000;
            DWORD writer;
            evt(s, "text=%s", text);
            while (!(writer = logs_contain(text)) && GetTickCount64() < end) pump(50);
            if (!strcmp(s, "wait-event") || !writer) {
                evt("waited", "seen=%d", writer != 0);
            } else {
                /* A process that has already ended cannot be opened: OpenProcess fails with
                 * ERROR_INVALID_PARAMETER (no such process; so does Wine 8.0, tried here); any
                 * other failure leaves the end unknown, and the step fails. */
                HANDLE p = OpenProcess(SYNCHRONIZE, FALSE, writer);
                int ended = !p && GetLastError() == ERROR_INVALID_PARAMETER;
                if (p) {
                    while (WaitForSingleObject(p, 0) != WAIT_OBJECT_0 && GetTickCount64() < end)
                        pump(50);
                    ended = WaitForSingleObject(p, 0) == WAIT_OBJECT_0;
                    CloseHandle(p);
                }
                evt("waited", "seen=1 ended=%d pid=%lu", ended, (unsigned long)writer);
                if (!ended) writer = 0;
            }
            if (!writer) bad = 1;
        } else if (!strcmp(s, "die")) {
            evt("die", "holds-obj=%d holds-cf=%d", obj != NULL, cf != NULL);
            TerminateProcess(GetCurrentProcess(), 3);
        } else if (!strcmp(s, "sleep") && i + 1 < argc) {
            DWORD ms = strtoul(argv[++i], NULL, 10);
            evt("sleep", "ms=%lu", ms);
            pump(ms);
        } else {
            evt("bad-step", "step=%s", s);
            bad = 1;
        }
    }
    if (obj) evt("release", "what=obj refs=%lu at=end", IPersist_Release(obj));
    if (cf) evt("release", "what=cf refs=%lu at=end", IClassFactory_Release(cf));
    CoUninitialize();
    evt("exit", "code=%d", bad ? 2 : 0);
    return bad ? 2 : 0;
}
