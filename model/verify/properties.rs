//! The properties checked, each a predicate over the whole system state, with the rules
//! (spec/rules.md) it checks. Precise statements: spec/properties.md.

use crate::com::client::{ClientOp, ClientState};
use crate::com::hresult::Hresult;
use crate::com::inproc::Apt;
use crate::com::msg::Msg;
use crate::com::names::{and_list, apt_name, exit_reason, service_name};
use crate::com::scenario::Scenario;
use crate::com::server::ExitReason;
use crate::com::server::ServerState;
use crate::com::service::{DisconnectProgress, StubState, STOPPED_SERVICE};
use crate::com::state::{
    clients, host, inproc, observations, scm, server, servers, ComModel, SysState,
};
use crate::verify::queries::{client_text, dll_users, held_up_by, stale_pointers};
use stateright::Expectation;

/// A property: name, expectation, rules, statement and predicate.
pub struct PropertyDef {
    /// Stable name, used on the command line, in spec/expectations.toml and trace paths.
    pub name: &'static str,
    /// Always (safety invariant), eventually (liveness on acyclic paths) or sometimes
    /// (reachability of an example, a guard against vacuous passes).
    pub expectation: Expectation,
    /// Rule IDs (spec/rules.md) the property checks.
    pub rules: &'static [&'static str],
    /// One-sentence statement over model state.
    pub statement: &'static str,
    /// Whether the property is checked in a scenario.
    pub applies: fn(Scenario) -> bool,
    /// The predicate.
    pub condition: fn(&ComModel, &SysState) -> bool,
    /// Whether the condition, once true, stays true on every path: declared where it is so,
    /// and checked on every transition by [`crate::verify::sleep::check_premises`]. The
    /// checker's sleep sets need it of every `eventually` property it checks
    /// (spec/assumptions.md A-SLEEP); for the others it claims nothing.
    pub monotone: bool,
    /// Why the property shows in state `s`, in 1-based COM terms, naming its witnesses: for an
    /// always property the instance, client or object that makes it false there; for an
    /// eventually property (at a terminal state) what never happened or what still holds the
    /// server up; for a sometimes property what makes it true. Meant for the last state of a
    /// trace; in a state where the property does not show, it says so.
    pub explain: fn(&ComModel, &SysState) -> String,
}

/// The expectation's name as used in JSON output and spec/expectations.toml.
pub fn expectation_name(e: &Expectation) -> &'static str {
    match e {
        Expectation::Always => "always",
        Expectation::Eventually => "eventually",
        Expectation::Sometimes => "sometimes",
    }
}

fn local(s: Scenario) -> bool {
    s.is_local()
}

fn with_user(s: Scenario) -> bool {
    s.has_user()
}

/// Scenarios where a user may work in an instance: the textbook server with its user, MFC
/// (`user-takes-control`) and WTL (`user-started`).
fn user_may_work(s: Scenario) -> bool {
    s.has_user() || matches!(s, Scenario::MfcSta | Scenario::WtlSta)
}

/// Local scenarios whose class objects can be suspended (automatically by
/// CoReleaseServerProcess, or by the server's own CoSuspendClassObjects): the textbook servers,
/// ATL 10.0 and later, and free-threaded ATL 7.0–9.0. ATL 7–9 apartment builds, WTL and MFC
/// never suspend their class objects, so an activation is never refused with
/// CO_E_SERVER_STOPPING there (spec/frameworks.md §1, §3, §5).
fn suspending(s: Scenario) -> bool {
    s.is_local() && !matches!(s, Scenario::Atl9Sta | Scenario::WtlSta | Scenario::MfcSta)
}

fn local_or_service(s: Scenario) -> bool {
    s.is_local() || s == Scenario::Service
}

fn dll_scenarios(s: Scenario) -> bool {
    matches!(s, Scenario::Inproc | Scenario::Service)
}

fn inproc_only(s: Scenario) -> bool {
    s == Scenario::Inproc
}

fn service_only(s: Scenario) -> bool {
    s == Scenario::Service
}

/// `launcher-unserved-exit` (sometimes; R-003-SCM-RELAUNCH, finding F-1): an instance exits
/// before it served the activation it was launched for, without the user closing it. COM's
/// behaviour, not a defect: what it costs the launching client is `activation-answered`'s
/// verdict.
fn launcher_unserved_exit(m: &ComModel, s: &SysState) -> bool {
    servers(&m.cfg, s)
        .any(|v| v.exited() && v.launched_for.is_some() && !v.served_launcher() && !v.user.closed)
}

/// `no-startup-exit` (R-002-FINAL-DECREMENT): no instance exits before it has served any
/// activation, unless the user closed it: the start-up exit of a server that acts on a zero
/// count instead of on the final decrement.
fn no_startup_exit(m: &ComModel, s: &SysState) -> bool {
    servers(&m.cfg, s).all(|v| !v.exited() || v.served != 0 || v.user.closed)
}

/// `no-exit-with-live-objects` (R-002-BOTTOM-LINE, R-002-USER-CLOSE, R-003-MULTI-APARTMENT):
/// no process exits while one of its objects still has external references that were never
/// disconnected: objects are freed on shutdown, not abandoned (002: CoDisconnectObject "gives a
/// server control over external reference counts so it can properly free its objects on
/// shutdown").
fn no_exit_with_live_objects(m: &ComModel, s: &SysState) -> bool {
    servers(&m.cfg, s).all(|v| !v.exited() || v.live_objects() == 0)
}

/// `no-exit-while-locked` (R-002-BOTTOM-LINE, R-002-LOCKSERVER-HOLD, R-003-IMPLICIT-LOCK):
/// no instance exits while a client holds a LockServer(TRUE) on it (one whose LockServer(FALSE)
/// is not under way), unless the user closed it.
fn no_exit_while_locked(m: &ComModel, s: &SysState) -> bool {
    clients(&m.cfg, s).all(|c| {
        match (
            c.locked && c.pending != Some(ClientOp::LockServerFalse),
            c.factory,
        ) {
            (true, Some(slot)) => {
                let v = server(&m.cfg, s, slot as usize);
                !v.exited() || v.user.closed
            }
            _ => true,
        }
    })
}

/// `factory-stays-connected` (R-003-IMPLICIT-LOCK, R-002-LOCKSERVER-HOLD): a client holding an
/// IClassFactory proxy (one it is not releasing) finds its server running and the class object
/// connected, unless the user closed the server.
fn factory_stays_connected(m: &ComModel, s: &SysState) -> bool {
    clients(&m.cfg, s).all(|c| {
        match c
            .factory
            .filter(|_| c.pending != Some(ClientOp::ReleaseFactory))
        {
            Some(slot) => {
                let v = server(&m.cfg, s, slot as usize);
                v.user.closed || (!v.exited() && !v.factories_disconnected)
            }
            None => true,
        }
    })
}

/// `no-handout-after-shutdown` (R-003-AUTO-SUSPEND, R-003-PROCESS-REFCOUNT,
/// R-003-MULTI-APARTMENT, R-003-STA-SERIALIZED): once an instance has decided to shut down (its
/// count reached zero, or the user closed it), it hands out no class object and no object: 003's
/// "one thread of the server does not decide to shut down while another thread of the server
/// is busy handing out class objects or object instances".
fn no_handout_after_shutdown(m: &ComModel, s: &SysState) -> bool {
    servers(&m.cfg, s).all(|v| !v.handed_out_late)
}

/// `no-exit-during-init` (R-003-REGCLS-SUSPENDED): no instance exits before all its classes
/// were registered (and resumed) with the SCM.
fn no_exit_during_init(m: &ComModel, s: &SysState) -> bool {
    servers(&m.cfg, s).all(|v| !v.exited() || v.ready)
}

/// `available-under-user-control` (R-002-USER-CONTROL, R-003-AUTO-SUSPEND): while the user
/// controls a running instance, its class objects are not suspended, so new activations reach
/// the instance the user works in instead of starting a second one (finding F-5).
fn available_under_user_control(m: &ComModel, s: &SysState) -> bool {
    servers(&m.cfg, s).all(|v| v.exited() || !(v.user.control && !v.user.closed && v.suspended))
}

/// `user-data-safe` (R-002-USER-CONTROL, R-MFC-CLOSE, R-WTL-USER-START): no automatic shutdown
/// decision while the user works in the instance (the textbook server's user control; an MFC
/// document; a user-started WTL instance's main window).
fn user_data_safe(m: &ComModel, s: &SysState) -> bool {
    servers(&m.cfg, s).all(|v| !(v.user.working() && v.shutdown == Some(ExitReason::Automatic)))
}

/// `clean-disconnect` (R-002-USER-CLOSE, R-SEEDS-HRESULTS, R-001-CLIENTS-DISCONNECTED): a
/// call through a proxy (one that returns an HRESULT: CreateInstance, LockServer, a method)
/// fails only because its server disconnected it on purpose. Local scenarios: no such call fails
/// at an instance the user did not close (an automatic shutdown left the client a dead proxy);
/// service: no such call fails with RPC_S_SERVER_UNAVAILABLE (the host crashed), while
/// RPC_E_DISCONNECTED and CO_E_OBJNOTCONNECTED are CoDisconnectContext's doing.
fn clean_disconnect(m: &ComModel, s: &SysState) -> bool {
    servers(&m.cfg, s).all(|v| !v.stranded_client)
        && observations(&m.cfg, s).all(|o| {
            !ClientOp::ALL
                .into_iter()
                .filter(|op| op.on_proxy() && op.returns_hresult())
                .any(|op| o.saw(op, Hresult::RPC_S_SERVER_UNAVAILABLE))
                || m.cfg.scenario.is_local()
        })
}

/// `server-eventually-exits` (R-002-FINAL-DECREMENT, R-002-FACTORY-REFS):
/// eventually every client is done and every instance the SCM started has exited. An
/// instance whose launch is in transit (the SCM has called CreateProcess; the process has not
/// run yet) is started and has not exited: under Wine a launch for an activation the client
/// has given up on can arrive after every client is done, and the instance it starts must exit
/// too. Counted so, the condition, once true, stays true: no client activates again and no
/// instance restarts ([`PropertyDef::monotone`]).
fn server_eventually_exits(m: &ComModel, s: &SysState) -> bool {
    clients(&m.cfg, s).all(|c| c.is_done())
        && servers(&m.cfg, s).all(|v| !v.launched() || v.exited())
        && !crate::com::state::in_transit(s).any(|e| matches!(e.msg, Msg::Launch { .. }))
}

/// `activation-answered` (R-003-SCM-RELAUNCH, R-SEEDS-STOPPING): eventually every client's
/// activation has returned S_OK — or E_ACCESSDENIED, the correct answer to a client COM refuses
/// access (`access-denied-client`, R-SEEDS-KB170915; no other path returns it).
fn activation_answered(m: &ComModel, s: &SysState) -> bool {
    clients(&m.cfg, s).all(|c| {
        [ClientOp::CoGetClassObject, ClientOp::CoCreateInstance]
            .into_iter()
            .any(|op| {
                c.observed.saw(op, Hresult::S_OK) || c.observed.saw(op, Hresult::E_ACCESSDENIED)
            })
    })
}

/// `object-used` (sometimes): a method call on an object returned S_OK.
fn object_used(m: &ComModel, s: &SysState) -> bool {
    clients(&m.cfg, s).any(|c| c.observed.saw(ClientOp::Call, Hresult::S_OK))
}

/// `server-exits` (sometimes): some instance exited.
fn server_exits(m: &ComModel, s: &SysState) -> bool {
    servers(&m.cfg, s).any(|v| v.exited())
}

/// `relaunch-after-suspend` (sometimes; R-003-SCM-RELAUNCH): an activation refused with
/// CO_E_SERVER_STOPPING by a stopping instance was served by a new one.
fn relaunch_after_suspend(m: &ComModel, s: &SysState) -> bool {
    scm(&m.cfg, s).relaunch_served
}

/// `user-disconnect-observed` (sometimes; R-002-USER-CLOSE): a client's call got
/// RPC_E_DISCONNECTED after the user closed the server.
fn user_disconnect_observed(m: &ComModel, s: &SysState) -> bool {
    clients(&m.cfg, s).any(|c| {
        ClientOp::ALL
            .into_iter()
            .any(|op| c.observed.saw(op, Hresult::RPC_E_DISCONNECTED))
    })
}

impl std::fmt::Debug for PropertyDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.name)
    }
}

/// `no-unload-while-live` (R-002-DLLCANUNLOADNOW, R-SEEDS-UNLOAD-DELAY, R-000-DISCONNECT,
/// R-000-LOCAL-SERVER-FLAG): no DLL is unloaded while an object it implements is still
/// referenced (a connected proxy or an in-process pointer), a LockServer lock is held, or a
/// thread runs its code.
fn no_unload_while_live(m: &ComModel, s: &SysState) -> bool {
    !inproc(&m.cfg, s).is_some_and(|p| p.unloaded_while_live)
        && !host(&m.cfg, s).is_some_and(|h| h.unloaded_while_live)
}

/// `no-call-into-unloaded-code` (R-002-DLLCANUNLOADNOW, R-002-LOCKSERVER-HOLD,
/// R-SEEDS-UNLOAD-DELAY, R-000-RETRY): no thread calls or returns into an unloaded DLL (the
/// access violation).
fn no_call_into_unloaded_code(m: &ComModel, s: &SysState) -> bool {
    !inproc(&m.cfg, s).is_some_and(|p| p.crashed) && !host(&m.cfg, s).is_some_and(|h| h.crashed)
}

/// `context-isolation` (R-000-CONTEXT-SCOPE, R-001-SHARED-HOST): stopping service A never
/// disconnects an object of service B.
fn context_isolation(m: &ComModel, s: &SysState) -> bool {
    host(&m.cfg, s).is_none_or(|h| {
        h.objects
            .iter()
            .all(|o| o.service == STOPPED_SERVICE || o.stub == StubState::Connected)
    })
}

/// `disconnect-result-correct` (R-000-RESULTS, R-000-LOCAL-SERVER-FLAG): every S_OK and
/// RPC_E_TIMEOUT that CoDisconnectContext returns to the stopping service agrees with the
/// ground truth of seed 000. (The two error codes are produced exactly under the conditions the
/// page gives; their consequences are checked by `stop-is-honored`.)
fn disconnect_result_correct(m: &ComModel, s: &SysState) -> bool {
    host(&m.cfg, s).is_none_or(|h| !h.bad_disconnect_result)
}

/// `stop-is-honored` (R-001-STOP-DEMAND, R-000-RETRY, R-000-DEADLOCK,
/// R-000-PRIVATE-CONTEXT, R-000-DEFAULT-CONTEXT): eventually service A's DLL is unloaded (SERVICE_CONTROL_STOP is
/// always sent), even while clients keep their references.
fn stop_is_honored(m: &ComModel, s: &SysState) -> bool {
    host(&m.cfg, s).is_some_and(|h| !h.services[STOPPED_SERVICE as usize].dll_loaded)
}

/// `dll-eventually-unloaded` (R-002-DLL-PASSIVE, R-SEEDS-PER-APARTMENT): eventually every
/// thread is done and the DLL is freed. A path on which the process crashed satisfies it: the
/// crash is `no-call-into-unloaded-code`'s business, so the two stay independent.
fn dll_eventually_unloaded(m: &ComModel, s: &SysState) -> bool {
    inproc(&m.cfg, s).is_some_and(|p| p.crashed || (p.threads_done() && !p.dll.loaded()))
}

/// `disconnect-timeout-observed` (sometimes; R-000-RETRY): CoDisconnectContext returned
/// RPC_E_TIMEOUT and later S_OK.
fn disconnect_timeout_observed(m: &ComModel, s: &SysState) -> bool {
    host(&m.cfg, s)
        .is_some_and(|h| h.stop.saw_timeout && h.stop.disconnect == DisconnectProgress::Done)
}

/// `client-sees-disconnected` (sometimes; R-001-CLIENTS-DISCONNECTED): a client's call
/// returned RPC_E_DISCONNECTED.
fn client_sees_disconnected(m: &ComModel, s: &SysState) -> bool {
    observations(&m.cfg, s).any(|o| {
        ClientOp::ALL
            .into_iter()
            .any(|op| o.saw(op, Hresult::RPC_E_DISCONNECTED))
    })
}

/// `dll-unloaded` (sometimes; R-002-DLL-PASSIVE): the DLL was freed.
fn dll_unloaded(m: &ComModel, s: &SysState) -> bool {
    inproc(&m.cfg, s).is_some_and(|p| p.dll.unloads > 0)
}

/// `candidate-revived` (sometimes; R-SEEDS-UNLOAD-DELAY): a candidate DLL used again left the
/// candidate list.
fn candidate_revived(m: &ComModel, s: &SysState) -> bool {
    inproc(&m.cfg, s).is_some_and(|p| p.revived)
}

// Explanations: why a property shows in a state (see `PropertyDef::explain`), in COM terms.

/// The server slots with their 1-based instance numbers.
fn numbered<'a>(m: &ComModel, s: &'a SysState) -> impl Iterator<Item = (usize, &'a ServerState)> {
    servers(&m.cfg, s).enumerate().map(|(i, v)| (i + 1, v))
}

/// The clients' states with their 1-based numbers.
fn numbered_clients<'a>(
    m: &ComModel,
    s: &'a SysState,
) -> impl Iterator<Item = (usize, &'a ClientState)> {
    clients(&m.cfg, s).enumerate().map(|(i, c)| (i + 1, c))
}

/// The first witness's text, or `none` when there is no witness.
fn first_or(items: Vec<String>, none: &str) -> String {
    if items.is_empty() {
        none.to_string()
    } else {
        and_list(&items)
    }
}

fn status_text(v: &ServerState) -> &'static str {
    match v.status {
        crate::com::server::ProcStatus::Exited(r) => exit_reason(r),
        crate::com::server::ProcStatus::Running => "running",
        crate::com::server::ProcStatus::NotStarted => "not started",
    }
}

const HOLDS_HERE: &str = "the property is not violated in this state";

fn why_launcher_unserved_exit(m: &ComModel, s: &SysState) -> String {
    first_or(
        numbered(m, s)
            .filter(|(_, v)| v.exited() && !v.served_launcher() && !v.user.closed)
            .filter_map(|(i, v)| {
                v.launched_for.map(|c| {
                    format!(
                        "server instance {i} has exited ({}) without serving client {}, the client it was launched for",
                        status_text(v),
                        c + 1
                    )
                })
            })
            .collect(),
        "no instance has exited without serving the client it was launched for yet",
    )
}

fn why_no_startup_exit(m: &ComModel, s: &SysState) -> String {
    first_or(
        numbered(m, s)
            .filter(|(_, v)| v.exited() && v.served == 0 && !v.user.closed)
            .map(|(i, v)| {
                format!(
                    "server instance {i} has exited ({}) before serving any activation",
                    status_text(v)
                )
            })
            .collect(),
        HOLDS_HERE,
    )
}

fn why_no_exit_with_live_objects(m: &ComModel, s: &SysState) -> String {
    first_or(
        numbered(m, s)
            .filter(|(_, v)| v.exited() && v.live_objects() > 0)
            .map(|(i, v)| {
                let objs: Vec<String> = v
                    .objects
                    .iter()
                    .map(|o| format!("object {} ({:?})", o.id, o.clsid))
                    .collect();
                format!(
                    "server instance {i} has exited ({}) while {} still had a connected stub (never released or disconnected)",
                    status_text(v),
                    and_list(&objs)
                )
            })
            .collect(),
        HOLDS_HERE,
    )
}

fn why_no_exit_while_locked(m: &ComModel, s: &SysState) -> String {
    first_or(
        numbered_clients(m, s)
            .filter_map(|(i, c)| {
                let slot = c.factory?;
                let v = server(&m.cfg, s, slot as usize);
                (c.locked && c.pending != Some(ClientOp::LockServerFalse) && v.exited() && !v.user.closed)
                    .then(|| {
                        format!(
                            "client {i} holds LockServer(TRUE) on server instance {}, which has exited ({})",
                            slot + 1,
                            status_text(v)
                        )
                    })
            })
            .collect(),
        HOLDS_HERE,
    )
}

fn why_factory_stays_connected(m: &ComModel, s: &SysState) -> String {
    first_or(
        numbered_clients(m, s)
            .filter_map(|(i, c)| {
                let slot = c.factory.filter(|_| c.pending != Some(ClientOp::ReleaseFactory))?;
                let v = server(&m.cfg, s, slot as usize);
                if v.user.closed {
                    None
                } else if v.exited() {
                    Some(format!(
                        "client {i} holds an IClassFactory proxy to server instance {}, which has exited ({})",
                        slot + 1,
                        status_text(v)
                    ))
                } else if v.factories_disconnected {
                    Some(format!(
                        "client {i} holds an IClassFactory proxy to server instance {}, whose class objects were disconnected",
                        slot + 1
                    ))
                } else {
                    None
                }
            })
            .collect(),
        HOLDS_HERE,
    )
}

fn why_no_handout_after_shutdown(m: &ComModel, s: &SysState) -> String {
    first_or(
        numbered(m, s)
            .filter(|(_, v)| v.handed_out_late)
            .map(|(i, v)| {
                format!(
                    "server instance {i} handed out {} after it had decided to shut down{}",
                    if v.last_obj == 0 {
                        "a class object".to_string()
                    } else {
                        format!(
                            "a class object or an object (its newest is object {})",
                            v.last_obj
                        )
                    },
                    v.shutdown
                        .map_or(String::new(), |r| format!(" ({})", exit_reason(r)))
                )
            })
            .collect(),
        HOLDS_HERE,
    )
}

fn why_no_exit_during_init(m: &ComModel, s: &SysState) -> String {
    first_or(
        numbered(m, s)
            .filter(|(_, v)| v.exited() && !v.ready)
            .map(|(i, v)| {
                format!(
                    "server instance {i} has exited ({}) before all its classes were registered and resumed with the SCM",
                    status_text(v)
                )
            })
            .collect(),
        HOLDS_HERE,
    )
}

fn why_user_data_safe(m: &ComModel, s: &SysState) -> String {
    first_or(
        numbered(m, s)
            .filter(|(_, v)| v.user.working() && v.shutdown == Some(ExitReason::Automatic))
            .map(|(i, _)| {
                format!("server instance {i} decided to shut down automatically while the user works in it (a document or the main window the user opened is open)")
            })
            .collect(),
        HOLDS_HERE,
    )
}

fn why_available_under_user_control(m: &ComModel, s: &SysState) -> String {
    first_or(
        numbered(m, s)
            .filter(|(_, v)| !v.exited() && v.user.control && !v.user.closed && v.suspended)
            .map(|(i, _)| {
                format!("the user controls server instance {i}, but its class objects are suspended (CoSuspendClassObjects): a new activation starts another instance")
            })
            .collect(),
        HOLDS_HERE,
    )
}

fn why_clean_disconnect(m: &ComModel, s: &SysState) -> String {
    let cfg = &m.cfg;
    let mut v: Vec<String> = Vec::new();
    for (i, srv) in numbered(m, s).filter(|(_, x)| x.stranded_client) {
        // The failed call: its reply from the instance is in transit, or the client saw it.
        let mut who: Vec<String> = Vec::new();
        for env in crate::com::state::in_transit(s) {
            let (Some(slot), Some(c), Msg::Reply { hr, .. }) =
                (cfg.slot_of(env.src), cfg.client_of(env.dst), env.msg)
            else {
                continue;
            };
            if slot + 1 == i && !hr.succeeded() {
                let call = clients(cfg, s)
                    .nth(c)
                    .and_then(|x| x.pending)
                    .map_or("call".to_string(), |op| op.api().to_string());
                who.push(format!(
                    "client {}'s {call} fails with {}",
                    c + 1,
                    hr.name()
                ));
            }
        }
        if who.is_empty() {
            for (c, x) in numbered_clients(m, s) {
                for (op, hr) in x.observed.iter() {
                    if op.on_proxy() && op.returns_hresult() && !hr.succeeded() {
                        who.push(format!(
                            "client {c}'s {} failed with {}",
                            op.api(),
                            hr.name()
                        ));
                    }
                }
            }
        }
        v.push(format!(
            "{} at server instance {i}, {}: an automatic shutdown left the client a dead proxy",
            if who.is_empty() {
                "a client's call through a proxy failed".to_string()
            } else {
                and_list(&who)
            },
            if srv.exited() {
                format!(
                    "which exited by {}, not by the user's close",
                    status_text(srv)
                )
            } else {
                "which the user did not close".to_string()
            }
        ));
    }
    if !cfg.scenario.is_local() {
        for (i, o) in observations(cfg, s).enumerate() {
            for op in ClientOp::ALL
                .into_iter()
                .filter(|op| op.on_proxy() && op.returns_hresult())
            {
                if o.saw(op, Hresult::RPC_S_SERVER_UNAVAILABLE) {
                    v.push(format!(
                        "client {}'s {} returned RPC_S_SERVER_UNAVAILABLE: the host crashed under it",
                        i + 1,
                        op.api()
                    ));
                }
            }
        }
    }
    first_or(v, HOLDS_HERE)
}

fn why_server_eventually_exits(m: &ComModel, s: &SysState) -> String {
    let mut v: Vec<String> = numbered_clients(m, s)
        .filter(|(_, c)| !c.is_done())
        .map(|(i, c)| format!("client {i} is not done ({})", client_text(c)))
        .collect();
    for (i, x) in numbered(m, s).filter(|(_, x)| x.launched() && !x.exited()) {
        v.push(format!(
            "server instance {i} is still running: {}",
            held_up_by(&m.cfg, x)
        ));
    }
    for e in crate::com::state::in_transit(s) {
        if let Msg::Launch { client } = e.msg {
            v.push(format!(
                "the SCM's launch of {} for client {}'s activation has not run yet",
                m.cfg.actor_name(e.dst),
                client + 1
            ));
        }
    }
    first_or(
        v,
        "every client is done and every started instance has exited",
    ) + " (no step is enabled any more)"
}

fn why_activation_answered(m: &ComModel, s: &SysState) -> String {
    first_or(
        numbered_clients(m, s)
            .filter(|(_, c)| {
                ![ClientOp::CoGetClassObject, ClientOp::CoCreateInstance]
                    .into_iter()
                    .any(|op| c.observed.saw(op, Hresult::S_OK))
            })
            .map(|(i, c)| {
                let got: Vec<String> = c
                    .observed
                    .iter()
                    .filter(|(op, _)| !op.on_proxy())
                    .map(|(op, hr)| format!("{} returned {}", op.api(), hr.name()))
                    .collect();
                format!(
                    "client {i}'s activation never returned S_OK ({})",
                    if got.is_empty() {
                        "it never returned".to_string()
                    } else {
                        and_list(&got)
                    }
                )
            })
            .collect(),
        "every client's activation returned S_OK",
    ) + " (no step is enabled any more)"
}

fn why_object_used(m: &ComModel, s: &SysState) -> String {
    first_or(
        numbered_clients(m, s)
            .filter(|(_, c)| c.observed.saw(ClientOp::Call, Hresult::S_OK))
            .map(|(i, c)| match c.object {
                Some((srv, o)) => format!(
                    "client {i}'s method call on object {o} in server instance {} returned S_OK",
                    srv + 1
                ),
                None => format!("client {i}'s method call returned S_OK"),
            })
            .collect(),
        "no method call has returned S_OK yet",
    )
}

fn why_server_exits(m: &ComModel, s: &SysState) -> String {
    first_or(
        numbered(m, s)
            .filter(|(_, v)| v.exited())
            .map(|(i, v)| format!("server instance {i} has exited ({})", status_text(v)))
            .collect(),
        "no instance has exited yet",
    )
}

fn why_relaunch_after_suspend(m: &ComModel, s: &SysState) -> String {
    if scm(&m.cfg, s).relaunch_served {
        let started: Vec<String> = numbered(m, s)
            .filter(|(_, v)| v.launched())
            .map(|(i, _)| format!("server instance {i}"))
            .collect();
        format!(
            "an activation refused with CO_E_SERVER_STOPPING was forwarded by the SCM to a newly launched instance and returned S_OK (instances started: {})",
            and_list(&started)
        )
    } else {
        "no refused activation has been served by a new instance yet".into()
    }
}

fn why_user_disconnect_observed(m: &ComModel, s: &SysState) -> String {
    first_or(
        numbered_clients(m, s)
            .flat_map(|(i, c)| {
                ClientOp::ALL
                    .into_iter()
                    .filter(|op| c.observed.saw(*op, Hresult::RPC_E_DISCONNECTED))
                    .map(move |op| {
                        format!(
                            "client {i}'s {} returned RPC_E_DISCONNECTED after the user closed the server",
                            op.api()
                        )
                    })
            })
            .collect(),
        "no call has returned RPC_E_DISCONNECTED yet",
    )
}

fn why_no_unload_while_live(m: &ComModel, s: &SysState) -> String {
    let mut v = Vec::new();
    if let Some(p) = inproc(&m.cfg, s).filter(|p| p.unloaded_while_live) {
        v.push(format!(
            "a sweep freed the DLL while it was in use: {}",
            dll_users(p)
        ));
    }
    if let Some(h) = host(&m.cfg, s).filter(|h| h.unloaded_while_live) {
        let live: Vec<String> = h
            .objects
            .iter()
            .filter(|o| {
                o.service == STOPPED_SERVICE && (o.stub == StubState::Connected || o.direct)
            })
            .map(|o| format!("object {} of service A", o.id))
            .collect();
        v.push(format!(
            "service A unloaded its DLL while {} still referenced",
            if live.is_empty() {
                "its code was".to_string()
            } else {
                format!(
                    "{} {} ",
                    and_list(&live),
                    if live.len() == 1 { "was" } else { "were" }
                )
                .trim_end()
                .to_string()
            }
        ));
    }
    first_or(v, HOLDS_HERE)
}

fn why_no_call_into_unloaded_code(m: &ComModel, s: &SysState) -> String {
    let mut v = Vec::new();
    if let Some(p) = inproc(&m.cfg, s).filter(|p| p.crashed) {
        let stale = stale_pointers(p);
        v.push(format!(
            "a thread of the client process called or returned into the DLL after it was freed: an access violation{}",
            if stale.is_empty() {
                " (the thread that took the last step, which no longer holds the pointer)".to_string()
            } else {
                format!(" (through {})", and_list(&stale))
            }
        ));
    }
    if host(&m.cfg, s).is_some_and(|h| h.crashed) {
        v.push("a thread of the service host called or returned into service A's DLL after it was unloaded: the host crashed".to_string());
    }
    first_or(v, HOLDS_HERE)
}

fn why_context_isolation(m: &ComModel, s: &SysState) -> String {
    first_or(
        host(&m.cfg, s)
            .map(|h| {
                h.objects
                    .iter()
                    .filter(|o| o.service != STOPPED_SERVICE && o.stub != StubState::Connected)
                    .map(|o| {
                        format!(
                            "object {} of service {} is no longer connected: stopping service A disconnected it",
                            o.id,
                            service_name(o.service)
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        HOLDS_HERE,
    )
}

fn why_disconnect_result_correct(m: &ComModel, s: &SysState) -> String {
    let Some(h) = host(&m.cfg, s).filter(|h| h.bad_disconnect_result) else {
        return HOLDS_HERE.into();
    };
    let calls: Vec<String> = h
        .executing
        .iter()
        .filter(|e| {
            h.objects
                .iter()
                .any(|o| o.id == e.obj && o.service == STOPPED_SERVICE)
        })
        .map(|e| format!("client {}'s call on object {}", e.client + 1, e.obj))
        .collect();
    let connected: Vec<String> = h
        .objects
        .iter()
        .filter(|o| {
            o.service == STOPPED_SERVICE
                && o.private_ctx
                && !o.direct
                && o.stub != StubState::Disconnected
        })
        .map(|o| format!("object {}", o.id))
        .collect();
    let last = h.disconnect_results.last().copied();
    let rs: Vec<&str> = h.disconnect_results.iter().map(|r| r.name()).collect();
    let why = match last {
        Some(Hresult::RPC_E_TIMEOUT) if calls.is_empty() => {
            "no call executes in service A's context".to_string()
        }
        Some(Hresult::S_OK) if !connected.is_empty() => format!(
            "{} of service A still {} a proxy connection",
            and_list(&connected),
            if connected.len() == 1 { "has" } else { "have" }
        ),
        Some(Hresult::S_OK) if !calls.is_empty() => {
            format!("{} still executes in service A's context", and_list(&calls))
        }
        _ => "seed 000 says otherwise for this state of service A's context".to_string(),
    };
    format!(
        "service A's CoDisconnectContext returned {} although {why} (results so far: {})",
        rs.last().copied().unwrap_or("a result"),
        rs.join(", then ")
    )
}

fn why_stop_is_honored(m: &ComModel, s: &SysState) -> String {
    match host(&m.cfg, s) {
        Some(h) if h.services[STOPPED_SERVICE as usize].dll_loaded => {
            let mut v = vec!["service A's DLL is still loaded".to_string()];
            if !h.stop.accepted {
                v.push("service A did not accept SERVICE_CONTROL_STOP".into());
            }
            match h.stop.disconnect {
                DisconnectProgress::NotYet => {}
                DisconnectProgress::Failed => v.push(
                    "CoDisconnectContext returned CO_E_NOT_SUPPORTED since service A has no private context".into(),
                ),
                DisconnectProgress::GaveUpWaiting => v.push(
                    "service A gave up after CoDisconnectContext returned RPC_E_TIMEOUT".into(),
                ),
                DisconnectProgress::Waiting => {
                    v.push("CoDisconnectContext keeps returning RPC_E_TIMEOUT".into())
                }
                DisconnectProgress::Done => {}
            }
            for e in &h.executing {
                v.push(format!(
                    "client {}'s call on object {} {}",
                    e.client + 1,
                    e.obj,
                    if e.blocked {
                        "is blocked for ever"
                    } else {
                        "still executes"
                    }
                ));
            }
            and_list(&v) + " (no step is enabled any more)"
        }
        _ => "service A's DLL is unloaded".into(),
    }
}

fn why_dll_eventually_unloaded(m: &ComModel, s: &SysState) -> String {
    match inproc(&m.cfg, s) {
        Some(p) if !(p.crashed || (p.threads_done() && !p.dll.loaded())) => {
            let mut v = Vec::new();
            if !p.threads_done() {
                v.push("a thread has not finished its calls".to_string());
            }
            if p.dll.loaded() {
                let entries: Vec<String> = [Apt::Sta, Apt::Mta]
                    .iter()
                    .zip(&p.dll.entries)
                    .filter(|(_, e)| e.is_some())
                    .map(|(a, _)| format!("the {}'s entry", apt_name(*a)))
                    .collect();
                v.push(format!(
                    "the DLL is still loaded: {} keeps it and no thread of that apartment sweeps any more",
                    and_list(&entries)
                ));
            }
            and_list(&v) + " (no step is enabled any more)"
        }
        _ => "every thread is done and the DLL is freed".into(),
    }
}

fn why_disconnect_timeout_observed(m: &ComModel, s: &SysState) -> String {
    if disconnect_timeout_observed(m, s) {
        "service A's CoDisconnectContext returned RPC_E_TIMEOUT while a call executed, and S_OK when called again".into()
    } else {
        "CoDisconnectContext has not returned RPC_E_TIMEOUT and then S_OK yet".into()
    }
}

fn why_client_sees_disconnected(m: &ComModel, s: &SysState) -> String {
    let mut v = Vec::new();
    for (i, o) in observations(&m.cfg, s).enumerate() {
        for op in ClientOp::ALL {
            if o.saw(op, Hresult::RPC_E_DISCONNECTED) {
                v.push(format!(
                    "client {}'s {} returned RPC_E_DISCONNECTED",
                    i + 1,
                    op.api()
                ));
            }
        }
    }
    first_or(v, "no call has returned RPC_E_DISCONNECTED yet")
}

fn why_dll_unloaded(m: &ComModel, s: &SysState) -> String {
    match inproc(&m.cfg, s).filter(|p| p.dll.unloads > 0) {
        Some(_) => "a CoFreeUnusedLibrariesEx sweep freed the DLL (DllCanUnloadNow returned S_OK and the unload delay had passed)".into(),
        None => "the DLL has not been freed yet".into(),
    }
}

fn why_candidate_revived(m: &ComModel, s: &SysState) -> String {
    if candidate_revived(m, s) {
        "the DLL's entry was on the candidate list, and a thread's CoGetClassObject or CoCreateInstance used the DLL again, which took the entry off the list".into()
    } else {
        "no candidate entry has been used again yet".into()
    }
}

/// Every property, in report order.
pub const PROPERTIES: &[PropertyDef] = &[
    PropertyDef {
        name: "launcher-unserved-exit",
        expectation: Expectation::Sometimes,
        rules: &["R-003-SCM-RELAUNCH"],
        statement: "an instance exits before it served the activation it was launched for, without the user closing it (F-1's race: COM's behaviour, shown reachable)",
        applies: local,
        condition: launcher_unserved_exit,
        monotone: false,
        explain: why_launcher_unserved_exit,
    },
    PropertyDef {
        name: "no-startup-exit",
        expectation: Expectation::Always,
        rules: &["R-002-FINAL-DECREMENT"],
        statement: "no instance exits before it has served any activation, unless the user closed it",
        applies: local,
        condition: no_startup_exit,
        monotone: false,
        explain: why_no_startup_exit,
    },
    PropertyDef {
        name: "no-exit-with-live-objects",
        expectation: Expectation::Always,
        rules: &["R-002-BOTTOM-LINE", "R-002-USER-CLOSE", "R-003-MULTI-APARTMENT"],
        statement: "no instance exits while one of its objects still has external references that were never disconnected (objects abandoned, not freed)",
        applies: local,
        condition: no_exit_with_live_objects,
        monotone: false,
        explain: why_no_exit_with_live_objects,
    },
    PropertyDef {
        name: "no-exit-while-locked",
        expectation: Expectation::Always,
        rules: &["R-002-BOTTOM-LINE", "R-002-LOCKSERVER-HOLD", "R-003-IMPLICIT-LOCK"],
        statement: "no instance exits while a client holds LockServer(TRUE) on it, unless the user closed it",
        applies: local,
        condition: no_exit_while_locked,
        monotone: false,
        explain: why_no_exit_while_locked,
    },
    PropertyDef {
        name: "factory-stays-connected",
        expectation: Expectation::Always,
        rules: &["R-003-IMPLICIT-LOCK", "R-002-LOCKSERVER-HOLD"],
        statement: "a client holding an IClassFactory proxy finds its instance running and the class object connected, unless the user closed it",
        applies: local,
        condition: factory_stays_connected,
        monotone: false,
        explain: why_factory_stays_connected,
    },
    PropertyDef {
        name: "no-handout-after-shutdown",
        expectation: Expectation::Always,
        rules: &["R-003-AUTO-SUSPEND", "R-003-PROCESS-REFCOUNT", "R-003-MULTI-APARTMENT", "R-003-STA-SERIALIZED"],
        statement: "once an instance decided to shut down it hands out no class object and no object",
        applies: local,
        condition: no_handout_after_shutdown,
        monotone: false,
        explain: why_no_handout_after_shutdown,
    },
    PropertyDef {
        name: "no-exit-during-init",
        expectation: Expectation::Always,
        rules: &["R-003-REGCLS-SUSPENDED"],
        statement: "no instance exits before all its classes were registered (and resumed) with the SCM",
        applies: local,
        condition: no_exit_during_init,
        monotone: false,
        explain: why_no_exit_during_init,
    },
    PropertyDef {
        name: "user-data-safe",
        expectation: Expectation::Always,
        rules: &["R-002-USER-CONTROL"],
        statement: "no automatic shutdown decision while the user works in the instance (a document or main window the user opened is open)",
        applies: user_may_work,
        condition: user_data_safe,
        monotone: false,
        explain: why_user_data_safe,
    },
    PropertyDef {
        name: "available-under-user-control",
        expectation: Expectation::Always,
        rules: &["R-002-USER-CONTROL", "R-003-AUTO-SUSPEND"],
        statement: "while the user controls an instance its class objects are not suspended: new activations reach it instead of a second instance",
        applies: with_user,
        condition: available_under_user_control,
        monotone: false,
        explain: why_available_under_user_control,
    },
    PropertyDef {
        name: "clean-disconnect",
        expectation: Expectation::Always,
        rules: &["R-002-USER-CLOSE", "R-SEEDS-HRESULTS", "R-SEEDS-EXITED", "R-SEEDS-RELEASE-ULONG", "R-001-CLIENTS-DISCONNECTED", "R-SEEDS-DISCONNECT-INFLIGHT"],
        statement: "a call through a proxy fails only because its server disconnected it on purpose (the user's close, CoDisconnectContext): no automatic shutdown or crash leaves a client a dead proxy",
        applies: local_or_service,
        condition: clean_disconnect,
        monotone: false,
        explain: why_clean_disconnect,
    },
    PropertyDef {
        name: "server-eventually-exits",
        expectation: Expectation::Eventually,
        rules: &["R-002-FINAL-DECREMENT", "R-002-FACTORY-REFS", "R-SEEDS-KB170915"],
        statement: "eventually every client is done and every started instance has exited",
        applies: local,
        condition: server_eventually_exits,
        monotone: true,
        explain: why_server_eventually_exits,
    },
    PropertyDef {
        name: "activation-answered",
        expectation: Expectation::Eventually,
        rules: &["R-003-SCM-RELAUNCH", "R-SEEDS-STOPPING", "R-SEEDS-REVOKE", "R-SEEDS-KB170915"],
        statement: "eventually every client's activation has returned S_OK (E_ACCESSDENIED to a client without access permission): no client gets CO_E_SERVER_EXEC_FAILURE, RPC_S_SERVER_UNAVAILABLE or another failure, and none waits for ever",
        applies: local,
        condition: activation_answered,
        monotone: true,
        explain: why_activation_answered,
    },
    PropertyDef {
        name: "object-used",
        expectation: Expectation::Sometimes,
        rules: &["R-002-BOTTOM-LINE"],
        statement: "a method call on an object returns S_OK",
        applies: local,
        condition: object_used,
        monotone: false,
        explain: why_object_used,
    },
    PropertyDef {
        name: "server-exits",
        expectation: Expectation::Sometimes,
        rules: &["R-002-FINAL-DECREMENT"],
        statement: "some instance exits",
        applies: local,
        condition: server_exits,
        monotone: false,
        explain: why_server_exits,
    },
    PropertyDef {
        name: "relaunch-after-suspend",
        expectation: Expectation::Sometimes,
        rules: &["R-003-SCM-RELAUNCH", "R-SEEDS-STOPPING"],
        statement: "an activation refused with CO_E_SERVER_STOPPING by a stopping instance is served by a new one",
        applies: suspending,
        condition: relaunch_after_suspend,
        monotone: false,
        explain: why_relaunch_after_suspend,
    },
    PropertyDef {
        name: "user-disconnect-observed",
        expectation: Expectation::Sometimes,
        rules: &["R-002-USER-CLOSE", "R-SEEDS-EXITED"],
        statement: "a client's call returns RPC_E_DISCONNECTED from the live server the user closed",
        applies: with_user,
        condition: user_disconnect_observed,
        monotone: false,
        explain: why_user_disconnect_observed,
    },
    PropertyDef {
        name: "no-unload-while-live",
        expectation: Expectation::Always,
        rules: &["R-002-DLLCANUNLOADNOW", "R-SEEDS-UNLOAD-DELAY", "R-SEEDS-PER-APARTMENT", "R-000-DISCONNECT", "R-000-LOCAL-SERVER-FLAG"],
        statement: "no DLL is unloaded while an object it implements is still referenced (a connected proxy or an in-process pointer), a lock is held, or a thread runs its code",
        applies: dll_scenarios,
        condition: no_unload_while_live,
        monotone: false,
        explain: why_no_unload_while_live,
    },
    PropertyDef {
        name: "no-call-into-unloaded-code",
        expectation: Expectation::Always,
        rules: &["R-002-DLLCANUNLOADNOW", "R-002-LOCKSERVER-HOLD", "R-SEEDS-UNLOAD-DELAY", "R-000-RETRY"],
        statement: "no thread calls or returns into an unloaded DLL",
        applies: dll_scenarios,
        condition: no_call_into_unloaded_code,
        monotone: false,
        explain: why_no_call_into_unloaded_code,
    },
    PropertyDef {
        name: "context-isolation",
        expectation: Expectation::Always,
        rules: &["R-000-CONTEXT-SCOPE", "R-001-SHARED-HOST"],
        statement: "stopping service A never disconnects an object of service B",
        applies: service_only,
        condition: context_isolation,
        monotone: false,
        explain: why_context_isolation,
    },
    PropertyDef {
        name: "disconnect-result-correct",
        expectation: Expectation::Always,
        rules: &["R-000-RESULTS", "R-000-CONTEXT-SCOPE"],
        statement: "CoDisconnectContext returns S_OK only when no proxy connection to an object of the context remains and no call executes in it, RPC_E_TIMEOUT only when a call does",
        applies: service_only,
        condition: disconnect_result_correct,
        monotone: false,
        explain: why_disconnect_result_correct,
    },
    PropertyDef {
        name: "stop-is-honored",
        expectation: Expectation::Eventually,
        rules: &["R-001-STOP-DEMAND", "R-000-RETRY", "R-000-DEADLOCK", "R-000-PRIVATE-CONTEXT", "R-000-DEFAULT-CONTEXT"],
        statement: "after SERVICE_CONTROL_STOP, service A's DLL is eventually unloaded, even while clients keep references",
        applies: service_only,
        condition: stop_is_honored,
        monotone: true,
        explain: why_stop_is_honored,
    },
    PropertyDef {
        name: "dll-eventually-unloaded",
        expectation: Expectation::Eventually,
        rules: &["R-002-DLL-PASSIVE", "R-SEEDS-PER-APARTMENT"],
        statement: "once every thread released everything, sweeps eventually free the DLL (unless the process crashed)",
        applies: inproc_only,
        condition: dll_eventually_unloaded,
        monotone: true,
        explain: why_dll_eventually_unloaded,
    },
    PropertyDef {
        name: "disconnect-timeout-observed",
        expectation: Expectation::Sometimes,
        rules: &["R-000-RETRY"],
        statement: "CoDisconnectContext returns RPC_E_TIMEOUT and later S_OK",
        applies: service_only,
        condition: disconnect_timeout_observed,
        monotone: false,
        explain: why_disconnect_timeout_observed,
    },
    PropertyDef {
        name: "client-sees-disconnected",
        expectation: Expectation::Sometimes,
        rules: &["R-001-CLIENTS-DISCONNECTED"],
        statement: "a client's call returns RPC_E_DISCONNECTED",
        applies: service_only,
        condition: client_sees_disconnected,
        monotone: false,
        explain: why_client_sees_disconnected,
    },
    PropertyDef {
        name: "dll-unloaded",
        expectation: Expectation::Sometimes,
        rules: &["R-002-DLL-PASSIVE"],
        statement: "the DLL is freed",
        applies: inproc_only,
        condition: dll_unloaded,
        monotone: false,
        explain: why_dll_unloaded,
    },
    PropertyDef {
        name: "candidate-revived",
        expectation: Expectation::Sometimes,
        rules: &["R-SEEDS-UNLOAD-DELAY"],
        statement: "a candidate DLL used again through COM leaves the candidate list",
        applies: inproc_only,
        condition: candidate_revived,
        monotone: false,
        explain: why_candidate_revived,
    },
];

/// Looks a property up by name.
///
/// # Errors
/// Returns a message naming the valid properties when `name` is unknown.
pub fn property(name: &str) -> Result<&'static PropertyDef, String> {
    PROPERTIES.iter().find(|p| p.name == name).ok_or_else(|| {
        format!(
            "unknown property '{}'; valid properties: {}",
            crate::com::scenario::quote_prefix(name),
            PROPERTIES
                .iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}
