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
 *   --atl9                  ATL 7.0-9.0's CAtlExeModuleT, apartment build (spec/frameworks.md
 *                           section 1, ATL90 atlbase.h lines 3278-3326, 3437-3526): objects
 *                           and LockServer Lock/Unlock the module's own m_nLockCnt; Unlock at 0
 *                           sets m_bActivity and signals an auto-reset event; a monitor thread
 *                           waits for it, then waits m_dwTimeOut as long as it keeps being
 *                           signalled, reads !m_bActivity && m_nLockCnt == 0 and, if so,
 *                           PostThreadMessage(main thread, WM_QUIT); the main thread leaves its
 *                           loop, revokes, Sleep(m_dwPause), CoUninitialize
 *   --two-stas              a second STA thread registers CLSID_HarnessServerB (the model's
 *                           local-multi-sta: two apartments, CLSID_A and CLSID_B); the final
 *                           decrement, in either apartment, posts WM_QUIT to both; each revokes
 *                           its class, the main thread waits for the second, then exits
 *   --stopping-flag         Box's remedy under one server lock (the model's stopping-flag-locked,
 *                           spec/findings.md F-4): the decrement that reaches zero sets a
 *                           stopping flag under a critical section; CreateInstance holds it
 *                           across its check of the flag and the new object's count, and returns
 *                           CO_E_SERVER_STOPPING once the flag is set
 *   --timeout MS            ATL's m_dwTimeOut (5000 in ATL)
 *   --atl-pause MS          ATL's m_dwPause (1000 in ATL)
 *   --pause NAME=MS         schedule point NAME waits MS ms; on the STA it dispatches calls
 *                           meanwhile (NAME: before-register (only when MS > 0: a slow
 *                           start-up), before-resume, before-revoke; after-monitor-read:
 *                           on the ATL monitor thread, between reading the count as 0 and
 *                           PostThreadMessage(WM_QUIT); create-b: in CLSID_HarnessServerB's
 *                           CreateInstance, dispatched but before it checks or counts anything,
 *                           the window of F-4; it does not dispatch meanwhile, the apartment is
 *                           busy in the call)
 *   --max-life MS           watchdog: leave the loop after MS ms even with counts up (20000)
 *   --free-threaded         with --atl9: ATL 7.0-9.0's _ATL_FREE_THREADED build (spec/frameworks.md
 *                           section 1): the main thread joins the MTA, the class is registered
 *                           REGCLS_SUSPENDED and resumed (here before the monitor starts; ATL
 *                           starts it first, which the monitor, waiting for its event, does not
 *                           notice), and the monitor's time-out that read the count as 0 calls
 *                           CoSuspendClassObjects and reads m_nLockCnt again before it breaks
 *                           (the model's atl9-mta); schedule point create-2 (--pause
 *                           create-2=MS): the second CreateInstance, of either class, waits
 *                           before it counts anything (F-8's window: an activation admitted,
 *                           its object not yet Locked); in the MTA it blocks only its RPC thread
 *   --mfc                   MFC's lifetime code (spec/frameworks.md section 5, olelock.cpp, appcore.cpp):
 *                           an invisible main window (launched with -Embedding); objects and
 *                           LockServer count in the app's count (AfxOleLockApp/AfxOleUnlockApp);
 *                           at 0, AfxOleOnReleaseAllObjects: nothing if user control is set,
 *                           else set it ("avoid re-entry") and destroy the main window only if
 *                           it is enabled; its WM_NCDESTROY runs AfxPostQuitMessage: revoke the
 *                           class object, then PostQuitMessage (all inside the final release)
 *   --modal-dialog MS       with --mfc (the model's condition modal-dialog): once the instance
 *                           has served a client (the first object's final Release that leaves
 *                           the count above 0) a modal dialog comes up from the message loop:
 *                           the main window is disabled and a modal loop dispatches calls for MS
 *                           ms (schedule point modal; --pause modal=MS is the same), then the
 *                           window is enabled again
 *   --recheck-after-modal   with --modal-dialog: F-10's remedy; when the dialog returns with
 *                           user control saved FALSE, restore it and, if the count is 0, run
 *                           AfxOleOnReleaseAllObjects
 *   --user-control          the user has taken control from the start (002's user control, the
 *                           model's UserOpenDocument): the final decrement does not shut the
 *                           server down (`shutdown-skipped reason=user-control`); the watchdog
 *                           ends it
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
static DWORD pause_before_register, pause_before_resume, pause_before_revoke, pause_after_monitor_read;

/* ATL 7.0-9.0 (--atl9): CAtlExeModuleT's members, with ATL's defaults. */
static int opt_atl9;
static int opt_free_threaded;     /* --free-threaded */
static DWORD pause_create_2;      /* schedule point create-2 */
static LONG creates;              /* CreateInstance calls, for create-2 */
static LONG m_nLockCnt;
static volatile LONG m_bActivity;
static DWORD m_dwTimeOut = 5000, m_dwPause = 1000, m_dwMainThreadID;
static HANDLE m_hEventShutdown;

static LONG objects, locks, next_id;
static int quitting;

/* --two-stas: the apartments' threads; --stopping-flag: Box's flag and its lock. */
static int opt_two_stas, opt_stopping_flag, stopping;
static int opt_user_control; /* --user-control */

/* --mfc: MFC's module state (the app's object count is objects + locks), the main window. */
static int opt_mfc, opt_recheck_after_modal, mfc_user_ctrl, mfc_revoked, modal_posted;
static DWORD opt_modal_ms; /* --modal-dialog MS */
static HWND mfc_main;
static DWORD mfc_cookie;
#define WM_APP_MODAL (WM_APP + 1)

/* AfxPostQuitMessage (appcore.cpp): AfxOleTermOrFreeLib -> AfxOleTerm -> RevokeAll, then
 * ::PostQuitMessage. */
static void mfc_post_quit(void)
{
    HRESULT hr = CoRevokeClassObject(mfc_cookie);
    mfc_revoked = 1;
    evt("revoke", "hr=0x%08lx via=AfxPostQuitMessage", (unsigned long)hr);
    PostQuitMessage(0);
}

/* AfxOleOnReleaseAllObjects (olelock.cpp). */
static void mfc_on_release_all(void)
{
    if (mfc_user_ctrl) { /* don't shut down the application if user is in control */
        evt("shutdown-skipped", "reason=user-control");
        return;
    }
    mfc_user_ctrl = 1; /* avoid re-entry */
    if (mfc_main) {
        if (IsWindowEnabled(mfc_main)) { /* destroy the main window (only if enabled) */
            evt("shutdown", "reason=final-release via=DestroyWindow");
            DestroyWindow(mfc_main);
        } else {
            evt("shutdown-skipped", "reason=main-window-disabled user-ctrl=1");
        }
    } else {
        mfc_post_quit();
    }
}

static void schedule_point(const char *name, DWORD ms);

/* The main window's procedure: CWnd::OnNcDestroy of the main window -> AfxPostQuitMessage;
 * WM_APP_MODAL: the modal dialog (--modal-dialog). */
static LRESULT CALLBACK mfc_wndproc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp)
{
    if (msg == WM_NCDESTROY && hwnd == mfc_main) {
        mfc_main = NULL;
        mfc_post_quit();
        return 0;
    }
    if (msg == WM_APP_MODAL) {
        int saved = mfc_user_ctrl;
        EnableWindow(hwnd, FALSE);
        evt("modal-open", "main-window-enabled=%d", IsWindowEnabled(hwnd) ? 1 : 0);
        schedule_point("modal", opt_modal_ms); /* the modal loop dispatches calls meanwhile */
        EnableWindow(hwnd, TRUE);
        evt("modal-return", "user-ctrl=%d objects=%ld locks=%ld", mfc_user_ctrl, objects, locks);
        if (opt_recheck_after_modal && !saved) {
            mfc_user_ctrl = 0; /* AfxOleSetUserCtrl(FALSE) */
            if (objects == 0 && locks == 0) mfc_on_release_all(); /* AfxOleCanExitApp() */
        }
        return 0;
    }
    return DefWindowProcA(hwnd, msg, wp, lp);
}
static DWORD main_tid, apt2_tid, pause_create_b;
static CRITICAL_SECTION cs_stop;

/* Shutdown: WM_QUIT to the apartment(s); with two STAs to both, whichever thread decides. */
static void post_quit(void)
{
    if (opt_two_stas) {
        PostThreadMessageA(main_tid, WM_QUIT, 0, 0);
        PostThreadMessageA(apt2_tid, WM_QUIT, 0, 0);
    } else {
        PostQuitMessage(0);
    }
}

static void count_changed(void)
{
    evt("count", "objects=%ld locks=%ld", objects, locks);
}

/* The final decrement (002): the decrement that brings the counts to zero starts shutdown. */
static void lifetime_release(void)
{
    if (opt_atl9) {
        /* CAtlExeModuleT::Unlock (ATL90 lines 3278-3295), m_bDelayShutdown true */
        LONG lRet = InterlockedDecrement(&m_nLockCnt);
        evt("count", "lockcnt=%ld", lRet);
        if (lRet == 0) {
            m_bActivity = 1;
            evt("monitor-signal", "lockcnt=0");
            SetEvent(m_hEventShutdown); /* tell monitor that we transitioned to zero */
        }
    } else if (opt_process_refcount) {
        ULONG n;
        if (opt_stopping_flag) EnterCriticalSection(&cs_stop);
        n = CoReleaseServerProcess();
        evt("count", "process-refs=%lu", n);
        if (n == 0 && !quitting && opt_user_control) {
            evt("shutdown-skipped", "reason=user-control process-refs=0");
        } else if (n == 0 && !quitting) {
            quitting = 1;
            if (opt_stopping_flag) stopping = 1;
            evt("shutdown", "reason=process-refs-zero stopping=%d", stopping);
            post_quit();
        }
        if (opt_stopping_flag) LeaveCriticalSection(&cs_stop);
    } else if (opt_mfc) {
        /* AfxOleUnlockApp: at 0, AfxOleOnReleaseAllObjects */
        count_changed();
        if (objects == 0 && locks == 0) {
            mfc_on_release_all();
        } else if (opt_modal_ms && !modal_posted && mfc_main) {
            modal_posted = 1; /* the instance has served a client: the dialog comes up later */
            PostMessageA(mfc_main, WM_APP_MODAL, 0, 0);
        }
    } else {
        if (opt_stopping_flag) EnterCriticalSection(&cs_stop);
        count_changed();
        if (objects == 0 && locks == 0 && !quitting && opt_user_control) {
            evt("shutdown-skipped", "reason=user-control");
        } else if (objects == 0 && locks == 0 && !quitting) {
            quitting = 1;
            if (opt_stopping_flag) stopping = 1;
            evt("shutdown", "reason=final-decrement stopping=%d", stopping);
            post_quit();
        }
        if (opt_stopping_flag) LeaveCriticalSection(&cs_stop);
    }
}

static void lifetime_addref(void)
{
    if (opt_atl9) /* CAtlModule::Lock (ATL90 lines 2752-2755) */
        evt("count", "lockcnt=%ld", InterlockedIncrement(&m_nLockCnt));
    else if (opt_process_refcount)
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

/* CAtlExeModuleT::MonitorShutdown, apartment build (ATL90 lines 3303-3326): no
 * CoSuspendClassObjects (that is under _ATL_FREE_THREADED). */
static DWORD WINAPI MonitorShutdown(void *unused)
{
    evt("monitor-start", "timeout=%lu", m_dwTimeOut);
    for (;;) {
        DWORD dwWait;
        WaitForSingleObject(m_hEventShutdown, INFINITE);
        evt("monitor-wake", NULL);
        do {
            m_bActivity = 0;
            dwWait = WaitForSingleObject(m_hEventShutdown, m_dwTimeOut);
        } while (dwWait == WAIT_OBJECT_0);
        /* timed out */
        {
            LONG activity = m_bActivity, cnt = m_nLockCnt;
            HRESULT hr;
            evt("monitor-read", "activity=%ld lockcnt=%ld", activity, cnt);
            if (!activity && cnt == 0) { /* if no activity let's really bail */
                if (!opt_free_threaded) break;
                /* _ATL_FREE_THREADED (ATL90 line 3317): suspend, then read the count again */
                hr = CoSuspendClassObjects();
                cnt = m_nLockCnt;
                evt("monitor-recheck", "suspend-hr=0x%08lx lockcnt=%ld", (unsigned long)hr, cnt);
                if (cnt == 0) break;
            }
        }
    }
    evt("shutdown", "reason=monitor");
    /* The window of F-7: the count was read as 0, WM_QUIT is not posted yet. */
    evt("schedule-point", "name=after-monitor-read ms=%lu", pause_after_monitor_read);
    if (pause_after_monitor_read) Sleep(pause_after_monitor_read);
    CloseHandle(m_hEventShutdown);
    PostThreadMessageA(m_dwMainThreadID, WM_QUIT, 0, 0);
    evt("monitor-post", "msg=WM_QUIT");
    return 0;
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

static IClassFactory factory_b;

static HRESULT WINAPI CF_CreateInstance(IClassFactory *iface, IUnknown *outer, REFIID riid,
                                        void **ppv)
{
    Obj *obj;
    HRESULT hr;
    *ppv = NULL;
    if (outer) return CLASS_E_NOAGGREGATION;
    if (InterlockedIncrement(&creates) == 2 && pause_create_2) {
        evt("schedule-point", "name=create-2 ms=%lu", pause_create_2);
        Sleep(pause_create_2);
    }
    if (iface == &factory_b) {
        evt("create-received", "class=B");
        evt("schedule-point", "name=create-b ms=%lu", pause_create_b);
        if (pause_create_b) Sleep(pause_create_b);
    }
    if (opt_stopping_flag) {
        EnterCriticalSection(&cs_stop);
        if (stopping) {
            LeaveCriticalSection(&cs_stop);
            evt("create-refused", "hr=0x%08lx reason=stopping", (unsigned long)CO_E_SERVER_STOPPING);
            return CO_E_SERVER_STOPPING;
        }
    }
    obj = HeapAlloc(GetProcessHeap(), 0, sizeof *obj);
    if (!obj) {
        if (opt_stopping_flag) LeaveCriticalSection(&cs_stop);
        return E_OUTOFMEMORY;
    }
    obj->IPersist_iface.lpVtbl = &obj_vtbl;
    obj->ref = 1;
    obj->id = InterlockedIncrement(&next_id);
    evt("object-created", "id=%ld", obj->id);
    if (!opt_process_refcount) InterlockedIncrement(&objects);
    lifetime_addref();
    if (opt_stopping_flag) LeaveCriticalSection(&cs_stop);
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
static IClassFactory factory_b = {&cf_vtbl};

static DWORD parse_pause(const char *arg)
{
    const char *eq = strchr(arg, '=');
    DWORD ms = eq ? strtoul(eq + 1, NULL, 10) : 0;
    if (!strncmp(arg, "before-register=", 16)) pause_before_register = ms;
    else if (!strncmp(arg, "before-resume=", 14)) pause_before_resume = ms;
    else if (!strncmp(arg, "before-revoke=", 14)) pause_before_revoke = ms;
    else if (!strncmp(arg, "after-monitor-read=", 19)) pause_after_monitor_read = ms;
    else if (!strncmp(arg, "create-b=", 9)) pause_create_b = ms;
    else if (!strncmp(arg, "create-2=", 9)) pause_create_2 = ms;
    else if (!strncmp(arg, "modal=", 6)) opt_modal_ms = ms; /* the same as --modal-dialog MS */
    else return 0;
    return 1;
}

/* --two-stas: the second apartment, an STA thread registering CLSID_HarnessServerB with the
 * main thread's flags; it leaves its loop on WM_QUIT, revokes and uninitializes. */
static DWORD apt2_flags;
static HANDLE apt2_ready;
static DWORD WINAPI Apartment2(void *unused)
{
    DWORD cookie = 0;
    HRESULT hr;
    MSG msg;
    hr = CoInitializeEx(NULL, COINIT_APARTMENTTHREADED);
    evt("coinitialize", "apartment=2 hr=0x%08lx", (unsigned long)hr);
    PeekMessageA(&msg, NULL, 0, 0, PM_NOREMOVE); /* the queue PostThreadMessage needs */
    hr = CoRegisterClassObject(&CLSID_HarnessServerB, (IUnknown *)&factory_b, CLSCTX_LOCAL_SERVER,
                               apt2_flags, &cookie);
    evt("register", "apartment=2 class=B hr=0x%08lx flags=0x%lx cookie=%lu", (unsigned long)hr,
        apt2_flags, cookie);
    SetEvent(apt2_ready);
    while (GetMessageA(&msg, NULL, 0, 0) > 0) {
        TranslateMessage(&msg);
        DispatchMessageA(&msg);
    }
    hr = CoRevokeClassObject(cookie);
    evt("revoke", "apartment=2 class=B hr=0x%08lx", (unsigned long)hr);
    CoUninitialize();
    evt("apartment-exit", "apartment=2");
    return 0;
}

int main(int argc, char **argv)
{
    HANDLE apt2 = NULL;
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
    }
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--singleuse")) opt_singleuse = 1;
        else if (!strcmp(argv[i], "--suspended")) opt_suspended = 1;
        else if (!strcmp(argv[i], "--process-refcount")) opt_process_refcount = 1;
        else if (!strcmp(argv[i], "--no-lockserver-counts")) opt_lockserver_counts = 0;
        else if (!strcmp(argv[i], "--atl9")) opt_atl9 = 1;
        else if (!strcmp(argv[i], "--two-stas")) opt_two_stas = 1;
        else if (!strcmp(argv[i], "--stopping-flag")) opt_stopping_flag = 1;
        else if (!strcmp(argv[i], "--user-control")) opt_user_control = 1;
        else if (!strcmp(argv[i], "--mfc")) opt_mfc = 1;
        else if (!strcmp(argv[i], "--modal-dialog") && i + 1 < argc)
            opt_modal_ms = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--recheck-after-modal")) opt_recheck_after_modal = 1;
        else if (!strcmp(argv[i], "--free-threaded")) opt_free_threaded = opt_suspended = 1;
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
            m_dwTimeOut = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--atl-pause") && i + 1 < argc)
            m_dwPause = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--pause") && i + 1 < argc && parse_pause(argv[i + 1])) i++;
        else if (!strcmp(argv[i], "--max-life") && i + 1 < argc)
            opt_max_life = strtoul(argv[++i], NULL, 10);
        else if (_stricmp(argv[i], "-Embedding") && _stricmp(argv[i], "/Embedding")) {
            evt("bad-switch", "arg=%s", argv[i]);
            return 2;
        }
    }
    evt("server-start", "args=%s", *args ? args : "-");

    hr = CoInitializeEx(NULL, opt_free_threaded ? COINIT_MULTITHREADED : COINIT_APARTMENTTHREADED);
    evt("coinitialize", "hr=0x%08lx", (unsigned long)hr);
    main_tid = GetCurrentThreadId();
    PeekMessageA(&msg, NULL, 0, 0, PM_NOREMOVE); /* the queue PostThreadMessage needs */
    if (opt_stopping_flag) InitializeCriticalSection(&cs_stop);

    if (opt_mfc) { /* the main window, invisible (launched with -Embedding) */
        WNDCLASSA wc = {0};
        wc.lpfnWndProc = mfc_wndproc;
        wc.hInstance = GetModuleHandleA(NULL);
        wc.lpszClassName = "ComlifeMfcMain";
        RegisterClassA(&wc);
        mfc_main = CreateWindowExA(0, "ComlifeMfcMain", "comlife", WS_OVERLAPPEDWINDOW, 0, 0, 100,
                                   100, NULL, NULL, wc.hInstance, NULL);
        if (!mfc_main) /* no display (Wine headless): a message-only window; only its enabled
                        * state and its destruction matter to MFC's lifetime code */
            mfc_main = CreateWindowExA(0, "ComlifeMfcMain", "comlife", WS_OVERLAPPEDWINDOW, 0, 0,
                                       100, 100, HWND_MESSAGE, NULL, wc.hInstance, NULL);
        evt("main-window", "created=%d message-only=%d", mfc_main != NULL,
            mfc_main && GetParent(mfc_main) != NULL);
    }
    flags = (opt_singleuse ? REGCLS_SINGLEUSE : REGCLS_MULTIPLEUSE) |
            (opt_suspended ? REGCLS_SUSPENDED : 0);
    if (pause_before_register) schedule_point("before-register", pause_before_register);
    hr = CoRegisterClassObject(&CLSID_HarnessServer, (IUnknown *)&factory, CLSCTX_LOCAL_SERVER,
                               flags, &cookie);
    evt("register", "hr=0x%08lx flags=0x%lx cookie=%lu", (unsigned long)hr, flags, cookie);
    mfc_cookie = cookie;
    if (opt_two_stas) {
        apt2_flags = flags;
        apt2_ready = CreateEventA(NULL, TRUE, FALSE, NULL);
        apt2 = CreateThread(NULL, 0, Apartment2, NULL, 0, &apt2_tid);
        if (apt2) WaitForSingleObject(apt2_ready, 10000);
    }

    if (opt_suspended) {
        schedule_point("before-resume", pause_before_resume);
        hr = CoResumeClassObjects();
        evt("resume", "hr=0x%08lx", (unsigned long)hr);
    }

    if (opt_atl9) {
        /* PreMessageLoop, apartment build: StartMonitor after RegisterClassObjects (ATL90
         * lines 3437-3510); m_dwMainThreadID is the thread that constructed the module. */
        m_dwMainThreadID = GetCurrentThreadId();
        if (hr == S_OK) {
            HANDLE t;
            m_hEventShutdown = CreateEventA(NULL, FALSE, FALSE, NULL);
            t = CreateThread(NULL, 0, MonitorShutdown, NULL, 0, NULL);
            if (t) CloseHandle(t);
        }
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
    if (apt2) PostThreadMessageA(apt2_tid, WM_QUIT, 0, 0); /* a watchdog exit ends it too */

    schedule_point("before-revoke", pause_before_revoke);
    hr = mfc_revoked ? S_OK : CoRevokeClassObject(cookie); /* MFC revoked it in the release */
    if (opt_atl9)
        evt("revoke", "hr=0x%08lx lockcnt=%ld", (unsigned long)hr, m_nLockCnt);
    else
        evt("revoke", "hr=0x%08lx", (unsigned long)hr);
    if (opt_atl9) Sleep(m_dwPause); /* PostMessageLoop: wait for any threads to finish */
    if (apt2) {
        evt("wait-apartment", "apartment=2 done=%d", WaitForSingleObject(apt2, 10000) == WAIT_OBJECT_0);
        CloseHandle(apt2);
    }
    /* CoUninitialize disconnects the apartment's stubs: an object a client still holds is
     * released here (its Release logs object-destroyed after this line). */
    evt("uninitialize", NULL);
    CoUninitialize();
    if (opt_atl9)
        evt("exit", "reason=%s objects=%ld locks=%ld lockcnt=%ld", reason, objects, locks,
            m_nLockCnt);
    else
        evt("exit", "reason=%s objects=%ld locks=%ld", reason, objects, locks);
    return 0;
}
