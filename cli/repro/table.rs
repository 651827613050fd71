//! The one table of `comlife repro`: for each scenario the harness's C programs can express,
//! the programs and their switches, the toggles they implement, the server steps that need a
//! switch, and the server's windows that a schedule point holds open; and, per finding, what
//! Windows shows and what Wine does instead, with the source. Everything else in repro reads
//! the trace through this table.

/// Which harness programs a scenario runs on.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Programs {
    /// harness/server.c (an EXE server, launched through LocalServer32) and harness/client.c
    /// (one process per model client).
    Exe,
    /// harness/dll.c (an in-process DLL, InprocServer32, ThreadingModel=Both) and
    /// harness/inproc.c (one process, the model's three threads).
    Inproc,
}

/// Where a server window opens and closes in the trace.
#[derive(Clone, Copy)]
pub enum Opens {
    /// From the server step tagged `.0` to the server step tagged `.1` (e.g. ATL's monitor:
    /// MonitorTimeout read the count, MonitorPost posts WM_QUIT).
    Steps(&'static str, &'static str),
    /// While apartment `.0` (0-based) of the server is inside an activation (its work is
    /// `Activating`): dispatched, no object counted yet.
    Activating(usize),
    /// While the second activation admitted on an RPC thread of a free-threaded server (the
    /// server's `rpc_activations`) has not finished: past COM's check, no object Locked yet.
    SecondAdmitted,
}

/// A window of the server's own code that a schedule point holds open: a client call whose
/// message the server takes inside it waits for the point's `schedule-point name=NAME` event.
#[derive(Clone, Copy)]
pub struct Window {
    /// Where it is in the trace.
    pub opens: Opens,
    /// The schedule point's name in harness/server.c.
    pub point: &'static str,
    /// What the window is, for the README.
    pub what: &'static str,
}

/// One scenario the harness expresses.
pub struct Entry {
    /// The model's scenario name.
    pub scenario: &'static str,
    /// The programs that run it.
    pub programs: Programs,
    /// The switches of its baseline (server.c's for `Exe`; for `Inproc` none).
    pub switches: &'static [&'static str],
    /// Each toggle the programs implement: (toggle name, switches added, switches removed).
    /// For `Inproc`, the switches are `delay=MS` (the driver's --delay) or HARNESS_DLL words.
    /// A toggled run whose toggles are not all here is refused.
    pub toggles: &'static [(
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
    )],
    /// Server steps of the trace that need a switch: (step tag, switches added).
    pub server_steps: &'static [(&'static str, &'static [&'static str])],
    /// The windows schedule points hold open.
    pub windows: &'static [Window],
    /// The client.c step that activates each class (index = the model's clsid).
    pub cocreate: &'static [&'static str],
}

/// How long the server holds a schedule point's window open (ms).
pub const PAUSE_MS: u32 = 3000;
/// The driver's dwUnloadDelay for CoFreeUnusedLibrariesEx (the default, INFINITE, is 10 minutes
/// for a Both-threaded DLL in the MTA).
pub const UNLOAD_DELAY_MS: u32 = 500;

/// The scenarios `repro` supports.
pub const TABLE: &[Entry] = &[
    Entry {
        scenario: "local-sta",
        programs: Programs::Exe,
        // 003's helpers and REGCLS_SUSPENDED, one STA (the model's local-sta baseline).
        switches: &["--process-refcount", "--suspended"],
        toggles: &[
            ("process-refcount", &[], &["--process-refcount"]),
            ("regcls-suspended", &[], &["--suspended"]),
            ("lockserver-counts", &["--no-lockserver-counts"], &[]),
            ("regcls-singleuse", &["--singleuse"], &[]),
            ("client-death", &[], &[]),
            ("exited-instance-fails", &[], &[]),
        ],
        server_steps: &[("UserOpenDocument", &["--user-control"])],
        windows: &[],
        cocreate: &["cocreate"],
    },
    Entry {
        scenario: "local-multi-sta",
        programs: Programs::Exe,
        // Two STAs, CLSID_A and CLSID_B, 003's helpers, REGCLS_SUSPENDED.
        switches: &["--two-stas", "--process-refcount", "--suspended"],
        toggles: &[
            ("process-refcount", &[], &["--process-refcount"]),
            ("regcls-suspended", &[], &["--suspended"]),
            ("lockserver-counts", &["--no-lockserver-counts"], &[]),
            ("stopping-flag-locked", &["--stopping-flag"], &[]),
            ("regcls-singleuse", &["--singleuse"], &[]),
            ("client-death", &[], &[]),
            ("exited-instance-fails", &[], &[]),
        ],
        server_steps: &[],
        windows: &[Window {
            opens: Opens::Activating(1),
            point: "create-b",
            what: "apartment 2 is inside CLSID_B's CreateInstance, before it counts the object (F-4's window)",
        }],
        cocreate: &["cocreate", "cocreate-b"],
    },
    Entry {
        scenario: "atl9-sta",
        programs: Programs::Exe,
        // ATL's m_dwTimeOut shortened to 1000 ms (ATL's default is 5000; the race does not
        // depend on it, the schedule point holds the window open).
        switches: &["--atl9", "--timeout", "1000"],
        toggles: &[
            ("client-death", &[], &[]),
            ("exited-instance-fails", &[], &[]),
            ("lockserver-counts", &["--no-lockserver-counts"], &[]),
        ],
        server_steps: &[],
        windows: &[Window {
            opens: Opens::Steps("MonitorTimeout", "MonitorPost"),
            point: "after-monitor-read",
            what: "ATL's monitor read the count as 0 and has not posted WM_QUIT yet (F-7's window)",
        }],
        cocreate: &["cocreate"],
    },
    Entry {
        scenario: "atl9-mta",
        programs: Programs::Exe,
        // ATL 7.0–9.0's _ATL_FREE_THREADED module; m_dwPause 4000 ms so that the main thread,
        // after the revoke, outlasts the schedule point's 3000 ms (the trace finishes the
        // admitted activation before the process exits).
        switches: &["--atl9", "--free-threaded", "--timeout", "1000", "--atl-pause", "4000"],
        toggles: &[
            ("client-death", &[], &[]),
            ("exited-instance-fails", &[], &[]),
            ("lockserver-counts", &["--no-lockserver-counts"], &[]),
        ],
        server_steps: &[],
        windows: &[Window {
            opens: Opens::SecondAdmitted,
            point: "create-2",
            what: "the second activation is past COM's check on an RPC thread and has not Locked its object yet (F-8's window)",
        }],
        cocreate: &["cocreate"],
    },
    Entry {
        scenario: "mfc-sta",
        programs: Programs::Exe,
        // MFC's AfxOleLockApp count, AfxOleOnReleaseAllObjects and AfxPostQuitMessage; the
        // watchdog ends a server that never exits after 10 s.
        switches: &["--mfc", "--max-life", "10000"],
        toggles: &[
            ("modal-dialog", &["--pause", "modal=3000"], &[]),
            ("recheck-after-modal", &["--recheck-after-modal"], &[]),
            ("lockserver-counts", &["--no-lockserver-counts"], &[]),
            ("client-death", &[], &[]),
            ("exited-instance-fails", &[], &[]),
        ],
        server_steps: &[],
        windows: &[Window {
            opens: Opens::Steps("ModalOpen", "ModalReturn"),
            point: "modal",
            what: "a modal dialog is up: the main window is disabled and the modal loop dispatches calls (F-10's window)",
        }],
        cocreate: &["cocreate"],
    },
    Entry {
        scenario: "inproc",
        programs: Programs::Inproc,
        switches: &[],
        toggles: &[
            ("unload-delay", &["delay=0"], &[]),
            ("dll-counts-factories", &["counts-factories"], &[]),
            ("dllcanunloadnow-counts-locks", &["no-lock-count"], &[]),
            ("client-locks-factory", &[], &[]),
            ("every-apartment-sweeps", &[], &[]),
            ("wine-candidate-list", &[], &[]),
        ],
        server_steps: &[],
        windows: &[],
        cocreate: &[],
    },
];

/// Mechanisms of COM itself that a run may disable: no program switch disables them on Windows,
/// and Wine already lacks them, so the reproducer runs unchanged and its README says so:
/// (toggle name, what the README says).
pub const RUNTIME_TOGGLES: &[(&str, &str)] = &[
    (
        "implicit-lockserver",
        "the run disables COM's implicit LockServer when IClassFactory is marshaled (003); no program can switch it off on Windows, and Wine never takes it (R-WINE-LOCKSERVER-STUB: its LockServer on the proxy returns E_NOTIMPL without reaching the server, so a LockServer step of the trace answered S_OK differs on Wine)",
    ),
    (
        "auto-suspend",
        "the run disables the suspension of the class objects when CoReleaseServerProcess returns 0 (003); no program can switch it off on Windows, and Wine never suspends (R-WINE-NO-SUSPEND)",
    ),
    (
        "ping-garbage-collection",
        "the run disables COM's ping rundown of a dead client's references; no program can switch it off on Windows, and Wine has none (R-WINE-NO-RUNDOWN)",
    ),
];

/// Server steps that need nothing driven: the server's own code runs them.
pub const SERVER_OWN_STEPS: &[&str] = &[
    "Register",
    "Resume",
    "Dispatch",
    "MonitorWake",
    "MonitorTimeout",
    "MonitorPost",
    "MonitorRecheck",
    "ModalOpen",
    "ModalReturn",
    "GetQuit",
    "Exit",
    "Revoke",
    "FinishRpc",
    "FinishRelease",
    "FinishActivation",
];

/// What a finding's reproducer expects on Windows and what Wine does instead.
pub struct FindingNote {
    /// The finding (spec/findings.md).
    pub id: &'static str,
    /// The scenario of its traces.
    pub scenario: &'static str,
    /// The properties whose traces show it.
    pub properties: &'static [&'static str],
    /// What Windows shows (the trace).
    pub windows: &'static str,
    /// What Wine (8.0) does instead, with the source.
    pub wine: &'static str,
}

/// The findings whose traces repro writes a reproducer for (spec/findings.md; F-2 and F-9 are
/// withdrawn).
pub const FINDINGS: &[FindingNote] = &[
    FindingNote {
        id: "F-1",
        scenario: "local-sta",
        properties: &["launcher-unserved-exit", "activation-answered"],
        windows: "client 2's whole session runs in the instance launched for client 1's activation; the final release shuts it down before client 1's activation, still held by the SCM, reaches it. The SCM then relaunches (A-SCM-EXITED, default) or fails it with RPC_S_SERVER_UNAVAILABLE (`exited-instance-fails`)",
        wine: "Wine has no SCM forwarding (R-WINE-ACTIVATION: dlls/combase/rpc.c `rpc_get_local_class_object` launches the server and polls rpcss for the registered class object once a second): client 1's activation is served by whichever instance is registered when it polls, and the harness has no schedule point between rpcss handing out the class object and the client using it, so the run does not hold client 1's activation back; the HRESULTs below are the trace's",
    },
    FindingNote {
        id: "F-3",
        scenario: "inproc",
        properties: &["no-unload-while-live", "no-call-into-unloaded-code"],
        windows: "under Microsoft's CoFreeUnusedLibrariesEx text the second sweep frees the candidate without asking DllCanUnloadNow again, while MTA thread 1 holds a lock on the class object; its next call runs into unloaded code",
        wine: "Wine's sweep asks DllCanUnloadNow again (dlls/combase/apartment.c `apartment_freeunusedlibraries`): S_FALSE while the lock is held, so the mark is cleared and the DLL stays loaded (observed: run.sh reports the sweep's `dll-freed` as missing, which is Wine's behaviour, not the trace's)",
    },
    FindingNote {
        id: "F-4",
        scenario: "local-multi-sta",
        properties: &["no-exit-with-live-objects", "no-exit-while-locked", "factory-stays-connected", "no-handout-after-shutdown", "clean-disconnect"],
        windows: "an activation of CLSID_B admitted in apartment 2 completes after apartment 1's final release; the process exits with the object and the client's next call fails with RPC_S_SERVER_UNAVAILABLE",
        wine: "the same race (docs/wine.md case g): on Wine the activation is IClassFactory::CreateInstance through rpcss's class object, so the window is held open inside the server's CreateInstance (schedule point create-b); REGCLS_SUSPENDED and the suspension at zero are ignored (R-WINE-NO-SUSPEND), which the race does not need",
    },
    FindingNote {
        id: "F-5",
        scenario: "local-sta",
        properties: &["available-under-user-control"],
        windows: "the final CoReleaseServerProcess suspends the class objects of the instance the user works in; the server stays up for its user, but every later activation is refused with CO_E_SERVER_STOPPING and the SCM starts a second instance",
        wine: "Wine never suspends on CoReleaseServerProcess and CoSuspendClassObjects is a stub (R-WINE-NO-SUSPEND; seeds README, observed in docs/wine.md case c): the instance stays activatable, so F-5 does not show; the clients' HRESULTs are the same",
    },
    FindingNote {
        id: "F-6",
        scenario: "inproc",
        properties: &["no-unload-while-live", "no-call-into-unloaded-code"],
        windows: "under Microsoft's text this trace does not exist: CoCreateInstance takes the candidate off the list (`candidate-revived`)",
        wine: "Wine's candidate list (dlls/combase/apartment.c `apartment_freeunusedlibraries`: a sweep that gets S_OK marks the entry GetTickCount() + dwUnloadDelay and frees it at a later sweep past the mark; `apartment_getclassobject` leaves the mark alone) frees the DLL while MTA thread 2 returns through its Release; the return crashes (observed: docs/wine.md case i)",
    },
    FindingNote {
        id: "F-8",
        scenario: "atl9-mta",
        properties: &["no-exit-with-live-objects", "no-exit-while-locked", "factory-stays-connected", "no-handout-after-shutdown", "clean-disconnect"],
        windows: "in a free-threaded ATL 7.0–9.0 server an activation past COM's check on an RPC thread has not Locked its object when the monitor's CoSuspendClassObjects and re-check read the count as 0; the main thread revokes, the activation then creates its object, and the process exits with it: the client's next call fails with RPC_S_SERVER_UNAVAILABLE",
        wine: "CoSuspendClassObjects is a stub on Wine (R-WINE-NO-SUSPEND), which the race does not need; the activation is IClassFactory::CreateInstance through rpcss's class object (R-WINE-ACTIVATION), so the window is held open inside the server's second CreateInstance (schedule point create-2)",
    },
    FindingNote {
        id: "F-7",
        scenario: "atl9-sta",
        properties: &["no-exit-with-live-objects", "no-exit-while-locked", "factory-stays-connected", "no-handout-after-shutdown", "clean-disconnect"],
        windows: "an activation dispatched after ATL 7.0–9.0's monitor read the count as 0 gets an object; the process exits with it and the client's next call fails with RPC_S_SERVER_UNAVAILABLE",
        wine: "the same race (docs/wine.md cases d, f): the client whose call reaches the server in the monitor's window gets S_OK, the server exits with its object, the next call fails RPC_S_SERVER_UNAVAILABLE (0x800706BA)",
    },
    FindingNote {
        id: "F-10",
        scenario: "mfc-sta",
        properties: &["server-eventually-exits"],
        windows: "the final Release is dispatched while a modal dialog has the main window disabled: AfxOleOnReleaseAllObjects sets user control and destroys nothing, the dialog returns, and the instance, invisible, never exits (here its watchdog ends it after 10 s: `exit reason=watchdog`)",
        wine: "the same: MFC's code is the server's own, and Wine dispatches calls in the modal loop as Windows does; the clients' HRESULTs are all S_OK, and what shows the finding is the server's log: `shutdown-skipped reason=main-window-disabled`, no revoke, `exit reason=watchdog`",
    },
];

/// The table's entry for a scenario.
pub fn entry(scenario: &str) -> Option<&'static Entry> {
    TABLE.iter().find(|e| e.scenario == scenario)
}

/// The finding a trace of `scenario` violating or exemplifying `property` shows, if any.
pub fn finding(scenario: &str, property: &str, run: &str) -> Option<&'static FindingNote> {
    // F-3 is the Windows runtime's reading, F-6 Wine's candidate list (the variant, or the
    // Wine runtime, whose CoFreeUnusedLibrariesEx it is).
    let wine_list = run.contains("wine-candidate-list") || run.ends_with("on-wine");
    FINDINGS.iter().find(|f| {
        f.scenario == scenario
            && f.properties.contains(&property)
            && match f.id {
                "F-3" => !wine_list,
                "F-6" => wine_list,
                _ => true,
            }
    })
}

/// The supported scenarios, for refusals.
pub fn supported() -> String {
    let runtime: Vec<&str> = RUNTIME_TOGGLES.iter().map(|t| t.0).collect();
    let scenarios = TABLE
        .iter()
        .map(|e| {
            let toggles: Vec<&str> = e.toggles.iter().map(|t| t.0).collect();
            format!("{} (toggles: {})", e.scenario, toggles.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ");
    format!(
        "{scenarios}; and, for the EXE scenarios, COM's own {} disabled",
        runtime.join(", ")
    )
}
