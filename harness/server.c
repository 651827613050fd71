/* Textbook EXE server (002 "Unloading Mechanisms", Local Server; 003 Out-of-Process Server
 * Implementation Helpers), plain C, one STA thread. It serves CLSID_HarnessServer, whose
 * objects expose IPersist (the stock proxy of ole32/combase marshals it, so no MIDL).
 *
 * Lifetime code, each mechanism a switch (command-line arguments; the harness writes them into
 * LocalServer32, COM appends -Embedding):
 *   default                 object count + lock count; on the decrement that brings both to
 *                           zero the server posts WM_QUIT (exit on the final decrement, 002),
 *                           then revokes its class object and exits
 *   --singleuse             REGCLS_SINGLEUSE instead of REGCLS_MULTIPLEUSE
 *   --suspended             REGCLS_SUSPENDED, then CoResumeClassObjects (003)
 *   --process-refcount      CoAddRefServerProcess / CoReleaseServerProcess instead of its own
 *                           counts; exit when CoReleaseServerProcess returns 0 (003)
 *   --no-lockserver-counts  IClassFactory::LockServer does not take part in the count
 *   --pause NAME=MS         schedule point NAME waits MS ms, dispatching calls meanwhile
 *                           (NAME: before-resume, before-revoke)
 *   --max-life MS           watchdog: leave the loop after MS ms even with counts up (20000)
 * Every step is an event line (evt.h).
 */
#define COBJMACROS
#define CINTERFACE
#include <windows.h>
#include <objbase.h>
#include <string.h>
#include "evt.h"

static int opt_singleuse, opt_suspended, opt_process_refcount, opt_lockserver_counts = 1;
static DWORD opt_max_life = 20000;
static DWORD pause_before_resume, pause_before_revoke;

static LONG objects, locks, next_id;
static int quitting;

static void count_changed(void)
{
    evt("count", "objects=%ld locks=%ld", objects, locks);
}

/* The final decrement (002): the decrement that brings the counts to zero starts shutdown. */
static void lifetime_release(void)
{
    if (opt_process_refcount) {
        ULONG n = CoReleaseServerProcess();
        evt("count", "process-refs=%lu", n);
        if (n == 0 && !quitting) {
            quitting = 1;
            evt("shutdown", "reason=process-refs-zero");
            PostQuitMessage(0);
        }
    } else {
        count_changed();
        if (objects == 0 && locks == 0 && !quitting) {
            quitting = 1;
            evt("shutdown", "reason=final-decrement");
            PostQuitMessage(0);
        }
    }
}

static void lifetime_addref(void)
{
    if (opt_process_refcount)
        evt("count", "process-refs=%lu", CoAddRefServerProcess());
    else
        count_changed();
}

/* Dispatches calls for ms milliseconds: an STA idle in its message loop. A WM_QUIT seen
 * meanwhile is re-posted for the main loop. */
static void pump(DWORD ms)
{
    ULONGLONG end = GetTickCount64() + ms;
    int quit = 0;
    for (;;) {
        MSG msg;
        ULONGLONG now = GetTickCount64();
        if (now >= end) break;
        MsgWaitForMultipleObjects(0, NULL, FALSE, (DWORD)(end - now), QS_ALLINPUT);
        while (PeekMessageA(&msg, NULL, 0, 0, PM_REMOVE)) {
            if (msg.message == WM_QUIT) { quit = 1; continue; }
            TranslateMessage(&msg);
            DispatchMessageA(&msg);
        }
    }
    if (quit) PostQuitMessage(0);
}

static void schedule_point(const char *name, DWORD ms)
{
    evt("schedule-point", "name=%s ms=%lu", name, ms);
    if (ms) pump(ms);
}

/* ---- the object: IPersist ---- */
typedef struct {
    IPersist IPersist_iface;
    LONG ref;
    LONG id;
} Obj;

static HRESULT WINAPI Obj_QueryInterface(IPersist *iface, REFIID riid, void **ppv)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IPersist)) {
        *ppv = iface;
        IPersist_AddRef(iface);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI Obj_AddRef(IPersist *iface)
{
    return InterlockedIncrement(&((Obj *)iface)->ref);
}

static ULONG WINAPI Obj_Release(IPersist *iface)
{
    Obj *obj = (Obj *)iface;
    ULONG ref = InterlockedDecrement(&obj->ref);
    if (ref == 0) {
        evt("object-destroyed", "id=%ld", obj->id);
        HeapFree(GetProcessHeap(), 0, obj);
        if (!opt_process_refcount) InterlockedDecrement(&objects);
        lifetime_release();
    }
    return ref;
}

static HRESULT WINAPI Obj_GetClassID(IPersist *iface, CLSID *clsid)
{
    evt("call-received", "method=GetClassID id=%ld", ((Obj *)iface)->id);
    *clsid = CLSID_HarnessServer;
    return S_OK;
}

static IPersistVtbl obj_vtbl = {Obj_QueryInterface, Obj_AddRef, Obj_Release, Obj_GetClassID};

/* ---- the class object: IClassFactory; its own references do not keep the server (002) ---- */
static HRESULT WINAPI CF_QueryInterface(IClassFactory *iface, REFIID riid, void **ppv)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IClassFactory)) {
        *ppv = iface;
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI CF_AddRef(IClassFactory *iface) { return 2; }
static ULONG WINAPI CF_Release(IClassFactory *iface) { return 1; }

static HRESULT WINAPI CF_CreateInstance(IClassFactory *iface, IUnknown *outer, REFIID riid,
                                        void **ppv)
{
    Obj *obj;
    HRESULT hr;
    *ppv = NULL;
    if (outer) return CLASS_E_NOAGGREGATION;
    obj = HeapAlloc(GetProcessHeap(), 0, sizeof *obj);
    if (!obj) return E_OUTOFMEMORY;
    obj->IPersist_iface.lpVtbl = &obj_vtbl;
    obj->ref = 1;
    obj->id = InterlockedIncrement(&next_id);
    evt("object-created", "id=%ld", obj->id);
    if (!opt_process_refcount) InterlockedIncrement(&objects);
    lifetime_addref();
    hr = IPersist_QueryInterface(&obj->IPersist_iface, riid, ppv);
    IPersist_Release(&obj->IPersist_iface);
    return hr;
}

static HRESULT WINAPI CF_LockServer(IClassFactory *iface, BOOL lock)
{
    evt("lockserver-received", "fLock=%d counts=%d", lock ? 1 : 0, opt_lockserver_counts);
    if (!opt_lockserver_counts) return S_OK;
    if (lock) {
        if (!opt_process_refcount) InterlockedIncrement(&locks);
        lifetime_addref();
    } else {
        if (!opt_process_refcount) InterlockedDecrement(&locks);
        lifetime_release();
    }
    return S_OK;
}

static IClassFactoryVtbl cf_vtbl = {CF_QueryInterface, CF_AddRef, CF_Release,
                                    CF_CreateInstance, CF_LockServer};
static IClassFactory factory = {&cf_vtbl};

static DWORD parse_pause(const char *arg)
{
    const char *eq = strchr(arg, '=');
    DWORD ms = eq ? strtoul(eq + 1, NULL, 10) : 0;
    if (!strncmp(arg, "before-resume=", 14)) pause_before_resume = ms;
    else if (!strncmp(arg, "before-revoke=", 14)) pause_before_revoke = ms;
    else return 0;
    return 1;
}

int main(int argc, char **argv)
{
    char args[400] = "";
    DWORD cookie = 0, flags;
    UINT_PTR watchdog;
    HRESULT hr;
    MSG msg;
    const char *reason = "quit";
    int i;

    evt_open("server");
    for (i = 1; i < argc; i++) {
        if (i > 1) strncat(args, ",", sizeof args - strlen(args) - 1);
        strncat(args, argv[i], sizeof args - strlen(args) - 1);
        if (!strcmp(argv[i], "--singleuse")) opt_singleuse = 1;
        else if (!strcmp(argv[i], "--suspended")) opt_suspended = 1;
        else if (!strcmp(argv[i], "--process-refcount")) opt_process_refcount = 1;
        else if (!strcmp(argv[i], "--no-lockserver-counts")) opt_lockserver_counts = 0;
        else if (!strcmp(argv[i], "--pause") && i + 1 < argc && parse_pause(argv[i + 1])) {
            strncat(args, ",", sizeof args - strlen(args) - 1);
            strncat(args, argv[++i], sizeof args - strlen(args) - 1);
        }
        else if (!strcmp(argv[i], "--max-life") && i + 1 < argc)
            opt_max_life = strtoul(argv[++i], NULL, 10);
    }
    evt("server-start", "args=%s", *args ? args : "-");

    hr = CoInitializeEx(NULL, COINIT_APARTMENTTHREADED);
    evt("coinitialize", "hr=0x%08lx", (unsigned long)hr);

    flags = (opt_singleuse ? REGCLS_SINGLEUSE : REGCLS_MULTIPLEUSE) |
            (opt_suspended ? REGCLS_SUSPENDED : 0);
    hr = CoRegisterClassObject(&CLSID_HarnessServer, (IUnknown *)&factory, CLSCTX_LOCAL_SERVER,
                               flags, &cookie);
    evt("register", "hr=0x%08lx flags=0x%lx cookie=%lu", (unsigned long)hr, flags, cookie);

    if (opt_suspended) {
        schedule_point("before-resume", pause_before_resume);
        hr = CoResumeClassObjects();
        evt("resume", "hr=0x%08lx", (unsigned long)hr);
    }

    watchdog = SetTimer(NULL, 0, opt_max_life, NULL);
    evt("message-loop", NULL);
    while (GetMessageA(&msg, NULL, 0, 0) > 0) {
        if (msg.message == WM_TIMER && msg.hwnd == NULL && msg.wParam == watchdog) {
            evt("watchdog", "ms=%lu objects=%ld locks=%ld", opt_max_life, objects, locks);
            reason = "watchdog";
            break;
        }
        TranslateMessage(&msg);
        DispatchMessageA(&msg);
    }
    KillTimer(NULL, watchdog);

    schedule_point("before-revoke", pause_before_revoke);
    hr = CoRevokeClassObject(cookie);
    evt("revoke", "hr=0x%08lx", (unsigned long)hr);
    CoUninitialize();
    evt("exit", "reason=%s objects=%ld locks=%ld", reason, objects, locks);
    return 0;
}
