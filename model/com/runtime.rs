//! The COM runtime a run models: Windows (the default: the documents of spec/rules.md) or Wine
//! (`--runtime wine`, a description's `runtime = "wine"`; R-WINE-* in spec/rules.md). A runtime
//! is not a set of toggles: Wine pins some mechanisms ([`Runtime::pins`]) and changes what a
//! client observes in places no toggle reaches (the steps that read [`Runtime::is_wine`]: the
//! client's LockServer on a proxy, its CoCreateInstance through the class object, rpcss's
//! answer to a refused activation, the RPC layer's answer on a disconnected stub and in an
//! apartment's teardown, a held activation's polling of rpcss).
//!
//! Source of every Wine behaviour: the seeds README (lines on Wine: "Observed differences from
//! Windows", "Wine's activation path"), Wine's dlls/combase (combase.c, rpc.c, apartment.c) and
//! what the harness observed on Wine 8.0 (docs/wine.md).

use crate::com::hresult::Hresult;
use crate::com::scenario::{quote_prefix, Scenario};
use crate::com::toggles::Toggle;
use serde::Serialize;

/// The COM runtime whose behaviour the run models.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Runtime {
    /// Microsoft's COM as the documents describe it (the default).
    #[default]
    Windows,
    /// Wine's COM (dlls/combase, rpcss), as the seeds README and the harness observed it on
    /// Wine 8.0 (docs/wine.md).
    Wine,
}

/// One toggle a runtime fixes, with its value there and why.
#[derive(Debug)]
pub struct Pin {
    /// The toggle.
    pub toggle: Toggle,
    /// Whether the mechanism (or variant) is in force under the runtime.
    pub on: bool,
    /// The source that says so (rule ID, file and function).
    pub why: &'static str,
}

/// What Wine fixes of the toggle table (R-WINE-*). A pinned toggle cannot be toggled under
/// Wine: `--disable`/`--enable` of it is refused with [`Pin::why`].
pub const WINE_PINS: &[Pin] = &[
    Pin {
        toggle: Toggle::ImplicitLockserver,
        on: false,
        why: "R-WINE-LOCKSERVER-STUB: Wine takes no implicit LockServer when it marshals IClassFactory (seeds README, Wine; harness case b)",
    },
    Pin {
        toggle: Toggle::AutoSuspend,
        on: false,
        why: "R-WINE-NO-SUSPEND: Wine's CoReleaseServerProcess never suspends (combase.c CoReleaseServerProcess: \"FIXME: suspend objects\")",
    },
    Pin {
        toggle: Toggle::RegclsSuspended,
        on: false,
        why: "R-WINE-NO-SUSPEND: Wine ignores REGCLS_SUSPENDED and CoResumeClassObjects is a stub (seeds README; harness case c)",
    },
    Pin {
        toggle: Toggle::PingGarbageCollection,
        on: false,
        why: "R-WINE-NO-RUNDOWN: Wine has no ping or rundown of a dead client's references (seeds README, Wine's activation path)",
    },
    Pin {
        toggle: Toggle::ExitedInstanceFails,
        on: true,
        why: "R-WINE-ACTIVATION: rpcss never relaunches a server after a failed activation (rpc.c rpc_get_local_class_object launches once)",
    },
    Pin {
        toggle: Toggle::WineCandidateList,
        on: true,
        why: "R-WINE-FREE-UNUSED: Wine's CoFreeUnusedLibrariesEx is its candidate list (apartment.c apartment_freeunusedlibraries)",
    },
];

/// A toggle a runtime makes inert: the code it switches never runs there, or does only what a
/// stub of the runtime makes a no-op, so a run that toggles it is the run without it again,
/// state for state. Unlike a [`Pin`] it may still be toggled (a description may say so of its
/// server, and the run is then checked as written); `check`'s matrix leaves out the rows that
/// toggle it ([`Runtime::keeps_toggle`]), and tests/matrix.rs checks that each row left out has
/// the unique states, verdicts and trace lengths of the row without it.
#[derive(Debug)]
pub struct Inert {
    /// The toggle.
    pub toggle: Toggle,
    /// Why it makes no difference under the runtime (rule ID, source and the model's code).
    pub why: &'static str,
}

/// What Wine makes inert (R-WINE-*): mechanisms of the server's own code that Wine's stubs leave
/// nothing to do.
pub const WINE_INERT: &[Inert] = &[
    Inert {
        toggle: Toggle::LockserverCounts,
        why: "R-WINE-LOCKSERVER-STUB: LockServer on a class-object proxy returns E_NOTIMPL and never reaches the server (usrmarshal.c IClassFactory_LockServer_Proxy; harness case b), and Wine takes no implicit LockServer, so no LockServer call is ever counted or not (model/com/client.rs ClientState::start)",
    },
    Inert {
        toggle: Toggle::ProcessRefcount,
        why: "R-WINE-NO-SUSPEND: CoAddRefServerProcess/CoReleaseServerProcess and the server's own count differ only in who calls CoSuspendClassObjects when the count reaches zero, and under Wine both CoReleaseServerProcess's suspension and CoSuspendClassObjects are stubs (combase.c: CoSuspendClassObjects's FIXME, CoReleaseServerProcess's \"FIXME: suspend objects\"; model/com/server.rs ServerState::suspend)",
    },
];

/// The scenarios whose baseline and mechanism rows `check`'s matrix also runs under Wine
/// ([`Runtime::in_matrix`]; docs/wine.md lists the rows).
pub const WINE_MATRIX_SCENARIOS: [Scenario; 3] = [
    Scenario::LocalSta,
    Scenario::LocalMultiSta,
    Scenario::Inproc,
];

impl Runtime {
    /// Every runtime, the default first.
    pub const ALL: [Runtime; 2] = [Runtime::Windows, Runtime::Wine];

    /// `windows` or `wine` (the command line's and a description's name).
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Windows => "windows",
            Runtime::Wine => "wine",
        }
    }

    /// What the runtime is, in a sentence (for `list`).
    pub fn about(self) -> &'static str {
        match self {
            Runtime::Windows => "Microsoft's COM as the documents describe it (default)",
            Runtime::Wine => "Wine's COM (Wine 8.0, dlls/combase and rpcss): no implicit LockServer, LockServer on a class-object proxy returns E_NOTIMPL, no suspension (REGCLS_SUSPENDED ignored), CoCreateInstance through the registered class object with no relaunch, no ping rundown, no permission check, RPC_S_UNKNOWN_IF after CoDisconnectObject, no modal loop in CoUninitialize (a call still queued when the server exits gets RPC_S_CALL_FAILED), RPC_E_DISCONNECTED once CoUninitialize has torn the apartment down, a launch per activation (rpcss hands out the first registration of a class), a waiting activation served at its next poll of rpcss, its CoFreeUnusedLibrariesEx candidate list",
        }
    }

    /// Whether this is Wine.
    pub fn is_wine(self) -> bool {
        self == Runtime::Wine
    }

    /// What a call on a stub the server disconnected (CoDisconnectObject) returns: Windows
    /// RPC_E_DISCONNECTED (seeds 001, 002; seeds README), Wine RPC_S_UNKNOWN_IF (seeds README,
    /// Wine's observed differences: R-WINE-DISCONNECTED).
    pub fn disconnected_hr(self) -> Hresult {
        match self {
            Runtime::Windows => Hresult::RPC_E_DISCONNECTED,
            Runtime::Wine => Hresult::RPC_S_UNKNOWN_IF,
        }
    }

    /// What a call gets that reaches a server apartment CoUninitialize has torn down (its last
    /// reference released, nothing queued), if the runtime answers it without the apartment:
    /// Wine RPC_E_DISCONNECTED
    /// (R-WINE-TEARDOWN: `apartment_release`, dlls/combase/apartment.c line 467, takes the
    /// apartment off the list before it releases its stubs, lines 505–514; `dispatch_rpc`,
    /// rpc.c lines 2012–2018, raises what `ipid_get_dispatch_params`, stubmanager.c line 540,
    /// returns when `apartment_findfromtid` no longer finds it: RPC_E_DISCONNECTED). Windows
    /// `None`: CoUninitialize's modal loop dispatches the call (A-QUEUE).
    pub fn teardown_hr(self) -> Option<Hresult> {
        match self {
            Runtime::Windows => None,
            Runtime::Wine => Some(Hresult::RPC_E_DISCONNECTED),
        }
    }

    /// Whether CoUninitialize dispatches the calls still queued in the apartment before it
    /// returns: Windows yes (its modal loop "dispatches any pending messages", Microsoft's
    /// CoUninitialize page; R-SEEDS-COUNINITIALIZE, A-QUEUE); Wine no (R-WINE-TEARDOWN:
    /// `CoUninitialize`, dlls/combase/combase.c lines 2826–2886, calls `leave_apartment`,
    /// apartment.c lines 1155–1165, and `apartment_release`, lines 446–546, none of which
    /// retrieves a message; a call `dispatch_rpc` posted to the apartment's window, rpc.c lines
    /// 2037–2038, is never dispatched and its RPC thread waits on it until the process ends).
    pub fn uninitialize_dispatches(self) -> bool {
        self == Runtime::Windows
    }

    /// What a caller gets whose call the server process had taken (queued for an apartment, or
    /// running on an RPC thread) and not answered when the process ends: Windows
    /// RPC_S_SERVER_UNAVAILABLE, as for a call into the exited process (A-RPC-EXIT, A-QUEUE);
    /// Wine RPC_S_CALL_FAILED, rpcrt4's answer when the connection closes before the reply
    /// comes (`RPCRT4_default_receive_fragment`, dlls/rpcrt4/rpc_message.c lines 1295–1299,
    /// "Short read of header"; observed: tests/conform/wine-call-failed-at-exit.log,
    /// R-WINE-TEARDOWN). A call made after the exit fails to connect: RPC_S_SERVER_UNAVAILABLE
    /// under both.
    pub fn cut_off_hr(self) -> Hresult {
        match self {
            Runtime::Windows => Hresult::RPC_S_SERVER_UNAVAILABLE,
            Runtime::Wine => Hresult::RPC_S_CALL_FAILED,
        }
    }

    /// What an activation that reaches an instance whose class objects are suspended or revoked
    /// gets: Windows CO_E_SERVER_STOPPING, which the SCM answers by launching a new instance
    /// (003; R-003-SCM-RELAUNCH); Wine E_FAIL from `local_server_QueryService` (dlls/combase/
    /// apartment.c: `HRESULT hr = E_FAIL`, unchanged when `com_get_registered_class_object`
    /// finds no registration), which goes back to the client (R-WINE-ACTIVATION).
    pub fn refused_activation_hr(self) -> Hresult {
        match self {
            Runtime::Windows => Hresult::CO_E_SERVER_STOPPING,
            Runtime::Wine => Hresult::E_FAIL,
        }
    }

    /// What a held activation gets when the server launched for it exits before registering its
    /// class: Windows CO_E_SERVER_EXEC_FAILURE (R-SEEDS-EXEC-FAILURE); Wine E_NOINTERFACE
    /// (dlls/combase/rpc.c `rpc_get_local_class_object`: "Server for %s failed to start",
    /// `return E_NOINTERFACE`), R-WINE-ACTIVATION.
    pub fn failed_launch_hr(self) -> Hresult {
        match self {
            Runtime::Windows => Hresult::CO_E_SERVER_EXEC_FAILURE,
            Runtime::Wine => Hresult::E_NOINTERFACE,
        }
    }

    /// Looks a runtime up by name.
    ///
    /// # Errors
    /// A message naming the valid runtimes when `name` is unknown.
    pub fn parse(name: &str) -> Result<Runtime, String> {
        Runtime::ALL
            .into_iter()
            .find(|r| r.name() == name)
            .ok_or_else(|| {
                format!(
                    "unknown runtime '{}'; valid runtimes: {}",
                    quote_prefix(name),
                    Runtime::ALL.map(|r| r.name()).join(", ")
                )
            })
    }

    /// Whether `check`'s matrix runs `scenario` under this runtime: every scenario under
    /// Windows; under Wine the textbook servers [`WINE_MATRIX_SCENARIOS`] (issue 19: the
    /// frameworks' rows are Windows code, and the service host is refused).
    pub fn in_matrix(self, scenario: Scenario) -> bool {
        match self {
            Runtime::Windows => true,
            Runtime::Wine => WINE_MATRIX_SCENARIOS.contains(&scenario),
        }
    }

    /// Whether a matrix row that toggles `t` still means something under this runtime: not when
    /// the runtime fixes `t` ([`Runtime::pin`]) or makes it inert ([`Runtime::inert`]), where
    /// the row would be the row without `t` again, nor when it refuses it
    /// ([`Runtime::refuses_toggle`]).
    pub fn keeps_toggle(self, t: Toggle) -> bool {
        self.pin(t).is_none() && self.inert(t).is_none() && self.refuses_toggle(t).is_none()
    }

    /// The toggles the runtime makes inert ([`WINE_INERT`] for Wine; none for Windows).
    pub fn inert_toggles(self) -> &'static [Inert] {
        match self {
            Runtime::Windows => &[],
            Runtime::Wine => WINE_INERT,
        }
    }

    /// Why toggling `t` makes no difference under this runtime, if it makes none.
    pub fn inert(self, t: Toggle) -> Option<&'static Inert> {
        self.inert_toggles().iter().find(|i| i.toggle == t)
    }

    /// The toggles the runtime fixes ([`WINE_PINS`] for Wine; none for Windows).
    pub fn pins(self) -> &'static [Pin] {
        match self {
            Runtime::Windows => &[],
            Runtime::Wine => WINE_PINS,
        }
    }

    /// The value the runtime fixes for `t`, if it fixes one.
    pub fn pin(self, t: Toggle) -> Option<&'static Pin> {
        self.pins().iter().find(|p| p.toggle == t)
    }

    /// Why `scenario` cannot run under this runtime, if it cannot: the service host needs
    /// CoDisconnectContext, a stub in Wine (R-WINE-NO-DISCONNECT-CONTEXT).
    pub fn refuses_scenario(self, scenario: Scenario) -> Option<&'static str> {
        (self.is_wine() && scenario == Scenario::Service).then_some(
            "Wine's CoDisconnectContext is a stub (R-WINE-NO-DISCONNECT-CONTEXT), so the service host's stop sequence means nothing there",
        )
    }

    /// Why toggle `t` cannot be toggled under this runtime, if it cannot: a condition the
    /// runtime cannot have (Wine checks no launch or access permission, so KB 170915's
    /// `access-denied-client` cannot happen: R-WINE-NO-PERMISSION-CHECK), or a variant of
    /// Windows's SCM that Wine decides otherwise (`per-clsid-launch`: Wine launches per
    /// activation, which the model's Wine runtime does not model; spec/assumptions.md
    /// A-SCM-LAUNCH, A-WINE).
    pub fn refuses_toggle(self, t: Toggle) -> Option<String> {
        if !self.is_wine() {
            return None;
        }
        match t {
            Toggle::AccessDeniedClient => Some("'access-denied-client' cannot happen under the wine runtime: Wine makes no launch or access permission check (R-WINE-NO-PERMISSION-CHECK), so KB 170915 does not arise there".to_string()),
            Toggle::PerClsidLaunch => Some("'per-clsid-launch' is a variant of Windows's SCM: Wine has no SCM bookkeeping of launches, its rpc_get_local_class_object launches per activation (dlls/combase/rpc.c), as the wine runtime does already (spec/assumptions.md A-SCM-LAUNCH, A-WINE)".to_string()),
            _ => None,
        }
    }

    /// Why naming pinned toggle `t` on the command line means nothing under this runtime: the
    /// runtime already fixes it ([`Runtime::pins`]); `None` for a toggle it does not fix.
    pub fn already(self, t: Toggle) -> Option<String> {
        self.pin(t).map(|p| {
            format!(
                "'{}' is already {} under the {} runtime ({}); leave it out",
                t.name(),
                if p.on { "on" } else { "off" },
                self.name(),
                p.why
            )
        })
    }
}
