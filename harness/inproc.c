/* In-process client driver (the model's `inproc` client process, model/com/inproc.rs): three
 * threads, the STA thread (`sta`) and MTA threads 1 and 2 (`mta1`, `mta2`), use the DLL of
 * dll.c (CLSID_HarnessDll, ThreadingModel=Both) and sweep with CoFreeUnusedLibrariesEx. The
 * steps on the command line run one at a time, in their order, each on its thread (the
 * driver's main thread hands a step to its thread and waits for it to finish): the schedule is
 * a total order, the finest there is.
 *
 *   inproc.exe [--delay MS] STEP...
 *   STEP: THREAD:OP, or DelayPasses
 *   THREAD: sta | mta1 | mta2
 *   OP (the model's InprocOp names): CoGetClassObject (CLSCTX_INPROC_SERVER, IClassFactory),
 *      LockServerTrue, LockServerFalse, CreateInstance (on the held class object),
 *      CoCreateInstance (CLSCTX_INPROC_SERVER, IPersist), Call (IPersist::GetClassID),
 *      ReleaseDecrement (the object's final Release, up to the DLL's schedule point
 *      release-epilogue: the count is decremented, the thread is still in the DLL's code),
 *      ReleaseReturn (lets that Release return through the DLL's code), ReleaseFactory, Sweep
 *      (CoFreeUnusedLibrariesEx(MS, 0) on the thread: a sweep of its apartment's list)
 *   DelayPasses: the main thread sleeps MS + 250 ms (Wine frees a candidate when
 *      GetTickCount() is past its mark plus the delay)
 *   --delay MS: CoFreeUnusedLibrariesEx's dwUnloadDelay (500 by default; the system's
 *      default, INFINITE, is 10 minutes for a Both-threaded DLL in the MTA)
 *
 * Events (evt.h's format, prog=inproc; the DLL writes into the same file, inproc-<pid>.log):
 * `step n=K thread=T op=OP` before each step and `done step=K op=OP hr=0x...;` after it
 * (`done step=K op=OP;` for a step with no HRESULT), `dll-module loaded=0|1` after each step
 * (GetModuleHandle of comlife_dll.dll: whether the DLL is mapped). A thread left inside the
 * DLL's Release at the end (a ReleaseDecrement with no ReleaseReturn in the script) is let go
 * after the script (`release-after-script`): if the DLL was freed meanwhile, its return runs
 * into unmapped code, and the unhandled-exception filter writes `crash code=0x... thread=T`
 * and ends the process (exit code 3). Exit 0 otherwise, 2 for a bad step or a step that did not
 * finish within 10 s.
 */
#define COBJMACROS
#define CINTERFACE
#include <windows.h>
#include <objbase.h>
#include <string.h>
#include "evt.h"
#include "inproc.h"

#define DLL_NAME "comlife_dll.dll"
#define STEP_MS 10000

enum op {
    OP_NONE, OP_COGETCLASSOBJECT, OP_LOCK1, OP_LOCK0, OP_CREATEINSTANCE, OP_COCREATE, OP_CALL,
    OP_RELEASE_DEC, OP_RELEASE_RET, OP_RELEASE_CF, OP_SWEEP, OP_QUIT
};

static const struct { const char *name; enum op op; int has_hr; } ops[] = {
    {"CoGetClassObject", OP_COGETCLASSOBJECT, 1}, {"LockServerTrue", OP_LOCK1, 1},
    {"LockServerFalse", OP_LOCK0, 1},            {"CreateInstance", OP_CREATEINSTANCE, 1},
    {"CoCreateInstance", OP_COCREATE, 1},        {"Call", OP_CALL, 1},
    {"ReleaseDecrement", OP_RELEASE_DEC, 0},     {"ReleaseReturn", OP_RELEASE_RET, 0},
    {"ReleaseFactory", OP_RELEASE_CF, 0},        {"Sweep", OP_SWEEP, 0},
};

struct worker {
    const char *name;
    DWORD model, tid;
    HANDLE thread, go, done, sp_go, sp_reached;
    enum op op;
    HRESULT hr;
    IClassFactory *cf;
    IPersist *obj;
    int held; /* inside the DLL's Release, at its schedule point */
};

static struct worker workers[3] = {
    {.name = "sta", .model = COINIT_APARTMENTTHREADED},
    {.name = "mta1", .model = COINIT_MULTITHREADED},
    {.name = "mta2", .model = COINIT_MULTITHREADED}};
static DWORD delay_ms = 500;

static int dll_mapped(void) { return GetModuleHandleA(DLL_NAME) != NULL; }

static LONG WINAPI on_crash(EXCEPTION_POINTERS *ep)
{
    const char *who = "main";
    int i;
    for (i = 0; i < 3; i++)
        if (workers[i].tid == GetCurrentThreadId()) who = workers[i].name;
    evt("crash", "code=0x%08lx thread=%s addr=%p dll-mapped=%d",
        (unsigned long)ep->ExceptionRecord->ExceptionCode, who,
        ep->ExceptionRecord->ExceptionAddress, dll_mapped());
    TerminateProcess(GetCurrentProcess(), 3);
    return EXCEPTION_EXECUTE_HANDLER;
}

static DWORD WINAPI worker_main(void *arg)
{
    struct worker *w = arg;
    HRESULT hr = CoInitializeEx(NULL, w->model);
    evt("thread-start", "thread=%s coinitialize=0x%08lx", w->name, (unsigned long)hr);
    SetEvent(w->done);
    for (;;) {
        WaitForSingleObject(w->go, INFINITE);
        hr = S_OK;
        switch (w->op) {
        case OP_COGETCLASSOBJECT:
            hr = CoGetClassObject(&CLSID_HarnessDll, CLSCTX_INPROC_SERVER, NULL,
                                  &IID_IClassFactory, (void **)&w->cf);
            if (FAILED(hr)) w->cf = NULL;
            break;
        case OP_LOCK1:
        case OP_LOCK0:
            hr = w->cf ? IClassFactory_LockServer(w->cf, w->op == OP_LOCK1) : E_POINTER;
            break;
        case OP_CREATEINSTANCE:
            hr = w->cf ? IClassFactory_CreateInstance(w->cf, NULL, &IID_IPersist, (void **)&w->obj)
                       : E_POINTER;
            if (FAILED(hr)) w->obj = NULL;
            break;
        case OP_COCREATE:
            hr = CoCreateInstance(&CLSID_HarnessDll, NULL, CLSCTX_INPROC_SERVER, &IID_IPersist,
                                  (void **)&w->obj);
            if (FAILED(hr)) w->obj = NULL;
            break;
        case OP_CALL: {
            CLSID clsid;
            hr = w->obj ? IPersist_GetClassID(w->obj, &clsid) : E_POINTER;
            break;
        }
        case OP_RELEASE_DEC:
            if (w->obj) {
                IPersist *obj = w->obj;
                w->obj = NULL;
                IPersist_Release(obj); /* returns after the schedule point's go */
            }
            break;
        case OP_RELEASE_CF:
            if (w->cf) {
                IClassFactory_Release(w->cf);
                w->cf = NULL;
            }
            break;
        case OP_SWEEP:
            CoFreeUnusedLibrariesEx(delay_ms, 0);
            break;
        case OP_QUIT:
            /* What it still holds, released only while the DLL is mapped. */
            if (dll_mapped()) {
                if (w->obj) IPersist_Release(w->obj);
                if (w->cf) IClassFactory_Release(w->cf);
            } else if (w->obj || w->cf) {
                evt("not-released", "thread=%s reason=dll-unmapped obj=%d cf=%d", w->name,
                    w->obj != NULL, w->cf != NULL);
            }
            CoUninitialize();
            evt("thread-exit", "thread=%s", w->name);
            SetEvent(w->done);
            return 0;
        default:
            break;
        }
        w->hr = hr;
        SetEvent(w->done);
    }
}

/* Hands op to worker w; waits for it to finish, or (ReleaseDecrement) for the DLL's schedule
 * point. Returns 0 when the step did not finish in time. */
static int run_op(struct worker *w, enum op op)
{
    ResetEvent(w->done);
    w->op = op;
    if (op == OP_RELEASE_DEC) {
        char name[96];
        HANDLE both[2];
        DWORD r;
        snprintf(name, sizeof name, HARNESS_SP_GO, "release-epilogue", w->tid);
        w->sp_go = CreateEventA(NULL, TRUE, FALSE, name);
        snprintf(name, sizeof name, HARNESS_SP_REACHED, "release-epilogue", w->tid);
        w->sp_reached = CreateEventA(NULL, TRUE, FALSE, name);
        SetEvent(w->go);
        both[0] = w->done;
        both[1] = w->sp_reached;
        r = WaitForMultipleObjects(2, both, FALSE, STEP_MS);
        if (r == WAIT_OBJECT_0 + 1) {
            w->held = 1;
            return 1;
        }
        CloseHandle(w->sp_go);
        CloseHandle(w->sp_reached);
        return r == WAIT_OBJECT_0;
    }
    if (op == OP_RELEASE_RET) {
        DWORD r;
        if (!w->held) return 1;
        SetEvent(w->sp_go);
        w->held = 0;
        r = WaitForSingleObject(w->done, STEP_MS);
        CloseHandle(w->sp_go);
        CloseHandle(w->sp_reached);
        return r == WAIT_OBJECT_0;
    }
    SetEvent(w->go);
    return WaitForSingleObject(w->done, STEP_MS) == WAIT_OBJECT_0;
}

int main(int argc, char **argv)
{
    int i, first = 1, k = 0, bad = 0;
    evt_open("inproc");
    SetUnhandledExceptionFilter(on_crash);
    if (argc > 2 && !strcmp(argv[1], "--delay")) {
        delay_ms = strtoul(argv[2], NULL, 10);
        first = 3;
    }
    evt("inproc-start", "delay=%lu steps=%d", delay_ms, argc - first);
    for (i = 0; i < 3; i++) {
        workers[i].go = CreateEventA(NULL, FALSE, FALSE, NULL);
        workers[i].done = CreateEventA(NULL, FALSE, FALSE, NULL);
        workers[i].thread = CreateThread(NULL, 0, worker_main, &workers[i], 0, &workers[i].tid);
        WaitForSingleObject(workers[i].done, STEP_MS);
    }
    for (i = first; i < argc && !bad; i++) {
        const char *s = argv[i], *colon = strchr(s, ':');
        struct worker *w = NULL;
        int j, has_hr = 0;
        enum op op = OP_NONE;
        k++;
        if (!strcmp(s, "DelayPasses")) {
            evt("step", "n=%d thread=- op=DelayPasses ms=%lu", k, delay_ms + 250);
            Sleep(delay_ms + 250);
            evt("done", "step=%d op=DelayPasses;", k);
            continue;
        }
        for (j = 0; colon && j < 3; j++)
            if ((size_t)(colon - s) == strlen(workers[j].name) &&
                !strncmp(s, workers[j].name, colon - s))
                w = &workers[j];
        for (j = 0; colon && j < (int)(sizeof ops / sizeof ops[0]); j++)
            if (!strcmp(colon + 1, ops[j].name)) {
                op = ops[j].op;
                has_hr = ops[j].has_hr;
            }
        if (!w || op == OP_NONE) {
            evt("bad-step", "step=%s", s);
            bad = 1;
            break;
        }
        evt("step", "n=%d thread=%s op=%s", k, w->name, colon + 1);
        if (!run_op(w, op)) {
            evt("timeout", "step=%d op=%s ms=%d", k, colon + 1, STEP_MS);
            bad = 1;
            break;
        }
        if (has_hr)
            evt("done", "step=%d op=%s hr=0x%08lx;", k, colon + 1, (unsigned long)w->hr);
        else
            evt("done", "step=%d op=%s;", k, colon + 1);
        evt("dll-module", "loaded=%d", dll_mapped());
    }
    evt("script-end", "dll-mapped=%d", dll_mapped());
    /* A thread still inside the DLL's Release returns now: into unmapped code if the DLL was
     * freed (the crash filter then ends the process). */
    for (i = 0; i < 3; i++)
        if (workers[i].held) {
            evt("release-after-script", "thread=%s dll-mapped=%d", workers[i].name, dll_mapped());
            run_op(&workers[i], OP_RELEASE_RET);
        }
    for (i = 0; i < 3; i++) {
        run_op(&workers[i], OP_QUIT);
        WaitForSingleObject(workers[i].thread, STEP_MS);
    }
    evt("exit", "code=%d", bad ? 2 : 0);
    return bad ? 2 : 0;
}
