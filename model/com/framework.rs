//! The lifetime code of the frameworks COM developers build EXE servers with: ATL's
//! `CAtlExeModuleT` (7.0–9.0 and 10.0–14.32), WTL's `CServerAppModule`, MFC's
//! `AfxOleLockApp`/`AfxOleUnlockApp` and WRL's `Microsoft::WRL::Module<OutOfProc>`. Each is read
//! from its source in spec/frameworks.md and stated as rules R-ATL*, R-WTL*, R-MFC*, R-WRL* in
//! spec/rules.md.
//!
//! A framework server differs from the textbook server of seeds 002 and 003 in how it decides
//! to exit: its `Unlock` reaching zero does not revoke anything, it signals a monitor thread or
//! posts WM_QUIT to the main thread; the main thread leaves its message loop when it *retrieves*
//! WM_QUIT, and only then revokes its class objects (`RevokeClassObjects` in `PostMessageLoop`)
//! and exits. What happens between the decision and the revocation depends on the order in
//! which the main thread's queue delivers messages (R-COM-STA-QUEUE, R-COM-QUIT-ORDER), so a
//! framework server's STA has an explicit FIFO message queue ([`crate::com::server::Queued`]).
//! WRL has no message loop and no monitor: its release notifier, the server's own code, runs
//! on the thread whose `DecrementObjectCount` returned 0 and signals an event the main thread
//! waits on; the main thread then calls `Module::UnregisterObjects` (CoRevokeClassObject) and
//! returns from `WinMain`.
//!
//! This module says, for each framework and the run's toggles, which lifetime code is in
//! force; model/com/server.rs runs it.

use crate::com::config::Config;
use crate::com::scenario::Scenario;

use crate::com::toggles::Toggle;

/// A framework whose EXE-server lifetime code is modeled, named by the versions that share the
/// code (spec/frameworks.md §1–§5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Framework {
    /// ATL 7.0, 7.1 and 9.0 `CAtlExeModuleT` (8.0 was not read) (and, with the same lifetime code, the
    /// ATL 3.0 wizard's `CExeModule`): `Lock`/`Unlock` on the module's own `m_nLockCnt`, a
    /// monitor thread that waits `m_dwTimeOut` of no activity and re-checks the count
    /// (R-ATL70-LOCKCOUNT, R-ATL70-MONITOR, R-ATL70-REGISTER).
    Atl9,
    /// ATL 10.0 to 14.32 (VS 2010 to VS 2022) `CAtlExeModuleT`: `Lock` is
    /// CoAddRefServerProcess, `Unlock` CoReleaseServerProcess, the monitor posts WM_QUIT on the
    /// first signal (R-ATL10-UNLOCK).
    Atl14,
    /// WTL 7.5 to 10.0 `CServerAppModule` with the AppWizard's `WinMain`: the module count
    /// and ATL 7–9's timed monitor, registration with REGCLS_SUSPENDED then
    /// CoResumeClassObjects (R-WTL-MONITOR).
    Wtl,
    /// MFC 7.0 to 14.x: `AfxOleLockApp`/`AfxOleUnlockApp` on `m_nObjectCount`; the decrement
    /// to zero destroys the main window, whose `WM_NCDESTROY` calls `PostQuitMessage`
    /// (R-MFC-LOCKAPP, R-MFC-FACTORY).
    Mfc,
    /// WRL's `Microsoft::WRL::Module<OutOfProc>` (Windows SDK 10.0.10240 to 10.0.22000
    /// `winrt/wrl/module.h`): `IncrementObjectCount` is CoAddRefServerProcess and
    /// `DecrementObjectCount` CoReleaseServerProcess, called by every `RuntimeClass` object's
    /// constructor and final `Release` and by `ClassFactory::LockServer`; the class objects are
    /// registered REGCLS_MULTIPLEUSE | REGCLS_SUSPENDED, then CoResumeClassObjects; when
    /// `DecrementObjectCount` returns 0 it invokes the server's release notifier
    /// (R-WRL-COUNT, R-WRL-REGISTER, R-WRL-NOTIFIER).
    Wrl,
}

/// What `Unlock` does when the count reaches zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnZero {
    /// Signal the monitor thread's shutdown event (`m_bDelayShutdown`, ATL and WTL).
    SignalMonitor,
    /// `PostThreadMessage(m_dwMainThreadID, WM_QUIT)` at once (ATL with `m_bDelayShutdown`
    /// false).
    PostThreadQuit,
    /// MFC's `AfxOleOnReleaseAllObjects`: take user control, destroy the main window, whose
    /// `OnNcDestroy` re-checks `AfxOleCanExitApp` and calls `PostQuitMessage`.
    PostQuitMessage,
    /// WRL's release notifier, as its users write it: it sets the event the main thread waits
    /// on (`SetEvent`); the main thread then calls `Module::UnregisterObjects` and returns from
    /// `WinMain` (R-WRL-NOTIFIER). Nothing is posted: WRL's main thread has no message loop.
    SignalMainThread,
}

/// How the monitor thread decides, once signalled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MonitorKind {
    /// ATL 7.0–9.0, ATL 3, WTL: wait until `m_dwTimeOut` passes with no new signal, then
    /// post WM_QUIT if the count is still zero (free-threaded builds: after
    /// CoSuspendClassObjects and a re-check), otherwise wait again.
    Timed,
    /// ATL 10.0 and later: post WM_QUIT on the first signal.
    Untimed,
}

impl Framework {
    /// The framework a scenario's server is built on; `None` for the textbook servers.
    pub fn of(scenario: Scenario) -> Option<Framework> {
        match scenario {
            Scenario::Atl9Sta | Scenario::Atl9Mta => Some(Framework::Atl9),
            Scenario::Atl14Sta | Scenario::Atl14Mta => Some(Framework::Atl14),
            Scenario::WtlSta => Some(Framework::Wtl),
            Scenario::MfcSta => Some(Framework::Mfc),
            Scenario::WrlMta => Some(Framework::Wrl),
            _ => None,
        }
    }

    /// Whether `Lock`/`Unlock` (WRL: `IncrementObjectCount`/`DecrementObjectCount`) are
    /// CoAddRefServerProcess/CoReleaseServerProcess (ATL 10.0 and later and WRL, unless
    /// `process-refcount` is disabled; the others with the remedy `process-count-lock`);
    /// otherwise the module keeps its own count and COM never suspends its class objects on its
    /// own.
    pub fn process_count(self, cfg: &Config) -> bool {
        match self {
            Framework::Atl14 | Framework::Wrl => cfg.on(Toggle::ProcessRefcount),
            _ => cfg.on(Toggle::ProcessCountLock),
        }
    }

    /// Whether CoReleaseServerProcess returning 0 suspends the class objects (003,
    /// R-003-AUTO-SUSPEND): only where the process count is used.
    pub fn auto_suspend(self, cfg: &Config) -> bool {
        self.process_count(cfg) && cfg.on(Toggle::AutoSuspend)
    }

    /// Whether the class objects are registered with REGCLS_SUSPENDED and then resumed:
    /// free-threaded ATL builds, ATL 11.0 and later (ATL 10.0's apartment build is
    /// `regcls-suspended` disabled), WTL's wizard code, WRL's `RegisterCOMObject`; never ATL 7–9
    /// apartment builds or MFC (R-ATL70-REGISTER, R-MFC-FACTORY, R-WRL-REGISTER).
    pub fn registers_suspended(self, cfg: &Config) -> bool {
        let by_code = match self {
            Framework::Atl9 => cfg.scenario.free_threaded(),
            Framework::Atl14 | Framework::Wtl | Framework::Wrl => true,
            Framework::Mfc => false,
        };
        by_code && cfg.on(Toggle::RegclsSuspended)
    }

    /// What `Unlock` does when the count reaches zero.
    pub fn on_zero(self, cfg: &Config) -> OnZero {
        match self {
            Framework::Mfc => OnZero::PostQuitMessage,
            Framework::Wtl => OnZero::SignalMonitor,
            Framework::Wrl => OnZero::SignalMainThread,
            Framework::Atl9 | Framework::Atl14 => {
                if cfg.on(Toggle::DelayedShutdown) {
                    OnZero::SignalMonitor
                } else {
                    OnZero::PostThreadQuit
                }
            }
        }
    }

    /// How the monitor thread decides: ATL 7–9 and WTL re-check after the time-out unless
    /// `monitor-recheck` is disabled; ATL 10.0 and later never do.
    pub fn monitor(self, cfg: &Config) -> MonitorKind {
        match self {
            Framework::Atl9 | Framework::Wtl if cfg.on(Toggle::MonitorRecheck) => {
                MonitorKind::Timed
            }
            _ => MonitorKind::Untimed,
        }
    }

    /// Whether the timed monitor calls CoSuspendClassObjects and re-reads the count before
    /// posting WM_QUIT: ATL 7.0–9.0 free-threaded builds (`_ATL_FREE_THREADED`), unless
    /// `suspend-before-quit` is disabled.
    pub fn suspends_before_quit(self, cfg: &Config) -> bool {
        self == Framework::Atl9 && cfg.scenario.free_threaded() && cfg.on(Toggle::SuspendBeforeQuit)
    }

    /// The versions the framework's scenario covers, for `comlife list` and the README.
    pub fn versions(self) -> &'static str {
        match self {
            Framework::Atl9 => "ATL 7.0, 7.1 and 9.0 (VS .NET 2002 – VS 2008; 8.0 not read); the ATL 3.0 wizard's CExeModule has the same lifetime code",
            Framework::Atl14 => "ATL 10.0 – 14.32 (VS 2010 – VS 2022)",
            Framework::Wtl => "WTL 7.5 – 10.0 CServerAppModule with the AppWizard's WinMain",
            Framework::Mfc => "MFC 7.0 – 14.x (VS .NET 2002 – VS 2022)",
            Framework::Wrl => "WRL Module<OutOfProc> (Windows SDK 10.0.10240 – 10.0.22000 winrt/wrl/module.h)",
        }
    }
}
