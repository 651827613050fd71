/* In-process server DLL (002 "Unloading Mechanisms", In-Process Server), plain C, built with
 * mingw-w64 as comlife_dll.dll and registered under InprocServer32 with ThreadingModel=Both
 * (the model's `inproc` scenario). It serves CLSID_HarnessDll, whose objects expose IPersist.
 *
 * Lifetime code, as the model's `inproc` DLL (model/com/inproc.rs):
 *   - an object count, incremented by CreateInstance, decremented by the object's final Release;
 *   - a lock count, IClassFactory::LockServer(TRUE/FALSE);
 *   - DllCanUnloadNow: S_OK when both are 0, S_FALSE otherwise; the class object's own
 *     references do not count (R-002-DLLCANUNLOADNOW; the model's `dll-counts-factories` off).
 * Switches, in the environment variable HARNESS_DLL (read when the DLL is loaded; words
 * separated by commas):
 *   counts-factories   DllCanUnloadNow also answers S_FALSE while a class-object reference is
 *                      held (002's option, the model's `dll-counts-factories`)
 *   no-lock-count      DllCanUnloadNow ignores the lock count (the model's
 *                      `dllcanunloadnow-counts-locks` disabled)
 * Schedule point `release-epilogue`: in the object's final Release, after the object count is
 * decremented and before Release returns through the DLL's code (the model's steps
 * ReleaseDecrement and ReleaseReturn). It waits only when the driver has created the named event
 * `comlife-release-epilogue-go-<tid>` for the calling thread; it then sets
 * `comlife-release-epilogue-reached-<tid>` and waits (at most 30 s) for the go event. If COM
 * frees the DLL meanwhile, the return runs into unmapped code: the access violation the model's
 * `no-call-into-unloaded-code` is about.
 *
 * Events (evt.h's format, prog=dll), written into the driver's own log file
 * (inproc-<pid>.log), so that one file holds the process's events in their order:
 *   dll-loaded, dll-freed (DLL_PROCESS_DETACH from FreeLibrary: objects=, locks=,
 *   factory-refs=, in-code= the threads inside the DLL's code), dll-detach (at process exit),
 *   dllgetclassobject, dllcanunloadnow (hr=, the counts), object-created, object-destroyed,
 *   lockserver-received, call-received, schedule-point, release-return.
 */
#define COBJMACROS
#define CINTERFACE
#include <windows.h>
#include <objbase.h>
#include <string.h>
#include "evt.h"
#include "inproc.h"

static LONG objects, locks, factory_refs, in_code, next_id;
static int counts_factories, counts_locks = 1;

/* Opens the driver's log file (HARNESS_LOGDIR\inproc-<pid>.log) for the DLL's events. */
static void dll_log_open(void)
{
    char path[MAX_PATH];
    const char *dir = getenv("HARNESS_LOGDIR");
    (void)evt_open; /* evt.h's opener names the file after the program; the DLL shares the driver's */
    evt_prog = "dll";
    evt_file = stdout;
    if (dir && *dir) {
        FILE *f;
        snprintf(path, sizeof path, "%s\\inproc-%lu.log", dir, GetCurrentProcessId());
        f = fopen(path, "a");
        if (f) evt_file = f;
    }
}

/* The schedule point in the final Release (see the header). */
static void schedule_point(const char *name)
{
    char go_name[96], reached_name[96];
    HANDLE go, reached;
    DWORD tid = GetCurrentThreadId();
    snprintf(go_name, sizeof go_name, HARNESS_SP_GO, name, tid);
    go = OpenEventA(SYNCHRONIZE, FALSE, go_name);
    if (!go) return;
    evt("schedule-point", "name=%s tid=%lu", name, tid);
    snprintf(reached_name, sizeof reached_name, HARNESS_SP_REACHED, name, tid);
    reached = OpenEventA(EVENT_MODIFY_STATE, FALSE, reached_name);
    if (reached) {
        SetEvent(reached);
        CloseHandle(reached);
    }
    WaitForSingleObject(go, 30000);
    CloseHandle(go);
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
        LONG id = obj->id, n;
        InterlockedIncrement(&in_code);
        HeapFree(GetProcessHeap(), 0, obj);
        n = InterlockedDecrement(&objects);
        evt("object-destroyed", "id=%ld objects=%ld", id, n);
        /* The epilogue: the count is 0, DllCanUnloadNow answers S_OK, this thread still runs
         * the DLL's code until Release returns. */
        schedule_point("release-epilogue");
        InterlockedDecrement(&in_code);
        evt("release-return", "id=%ld", id);
    }
    return ref;
}

static HRESULT WINAPI Obj_GetClassID(IPersist *iface, CLSID *clsid)
{
    evt("call-received", "method=GetClassID id=%ld", ((Obj *)iface)->id);
    *clsid = CLSID_HarnessDll;
    return S_OK;
}

static IPersistVtbl obj_vtbl = {Obj_QueryInterface, Obj_AddRef, Obj_Release, Obj_GetClassID};

/* ---- the class object ---- */
static HRESULT WINAPI CF_QueryInterface(IClassFactory *iface, REFIID riid, void **ppv)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IClassFactory)) {
        *ppv = iface;
        IClassFactory_AddRef(iface);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI CF_AddRef(IClassFactory *iface)
{
    return InterlockedIncrement(&factory_refs) + 1;
}

static ULONG WINAPI CF_Release(IClassFactory *iface)
{
    return InterlockedDecrement(&factory_refs) + 1;
}

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
    evt("object-created", "id=%ld objects=%ld", obj->id, InterlockedIncrement(&objects));
    hr = IPersist_QueryInterface(&obj->IPersist_iface, riid, ppv);
    IPersist_Release(&obj->IPersist_iface);
    return hr;
}

static HRESULT WINAPI CF_LockServer(IClassFactory *iface, BOOL lock)
{
    LONG n = lock ? InterlockedIncrement(&locks) : InterlockedDecrement(&locks);
    evt("lockserver-received", "fLock=%d locks=%ld", lock ? 1 : 0, n);
    return S_OK;
}

static IClassFactoryVtbl cf_vtbl = {CF_QueryInterface, CF_AddRef, CF_Release, CF_CreateInstance,
                                    CF_LockServer};
static IClassFactory factory = {&cf_vtbl};

__declspec(dllexport) HRESULT WINAPI DllGetClassObject(REFCLSID clsid, REFIID riid, void **ppv)
{
    HRESULT hr = CLASS_E_CLASSNOTAVAILABLE;
    *ppv = NULL;
    if (IsEqualCLSID(clsid, &CLSID_HarnessDll))
        hr = IClassFactory_QueryInterface(&factory, riid, ppv);
    evt("dllgetclassobject", "hr=0x%08lx factory-refs=%ld", (unsigned long)hr, factory_refs);
    return hr;
}

__declspec(dllexport) HRESULT WINAPI DllCanUnloadNow(void)
{
    LONG o = objects, l = locks, f = factory_refs;
    HRESULT hr = (o == 0 && (!counts_locks || l == 0) && (!counts_factories || f == 0))
                     ? S_OK
                     : S_FALSE;
    evt("dllcanunloadnow", "hr=0x%08lx objects=%ld locks=%ld factory-refs=%ld in-code=%ld",
        (unsigned long)hr, o, l, f, in_code);
    return hr;
}

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, void *reserved)
{
    if (reason == DLL_PROCESS_ATTACH) {
        const char *sw = getenv("HARNESS_DLL");
        DisableThreadLibraryCalls(inst);
        dll_log_open();
        if (sw && strstr(sw, "counts-factories")) counts_factories = 1;
        if (sw && strstr(sw, "no-lock-count")) counts_locks = 0;
        evt("dll-loaded", "counts-factories=%d counts-locks=%d", counts_factories, counts_locks);
    } else if (reason == DLL_PROCESS_DETACH) {
        if (reserved)
            evt("dll-detach", "at=process-exit");
        else
            evt("dll-freed", "objects=%ld locks=%ld factory-refs=%ld in-code=%ld", objects, locks,
                factory_refs, in_code);
        if (evt_file && evt_file != stdout) fclose(evt_file);
    }
    return TRUE;
}
