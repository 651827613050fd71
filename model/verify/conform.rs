//! Trace inclusion, from the runtime to the model (issue 19 §4b): does the model have a path
//! whose client-visible events are those of a real run, in the run's order?
//!
//! A run of the Wine harness (harness/, docs/wine.md) writes one event line per event
//! (`EVT pid=<pid> t=<ms> prog=<program> <event> key=value …`). What a client observes is the
//! HRESULT each of its calls returns: `activation-answered` (CoCreateInstance, CoGetClassObject,
//! IClassFactory::CreateInstance), `lockserver` and `call`. A Release returns a count, not an
//! HRESULT, so it is not observed (spec/assumptions.md A-OBSERVE), and the server's own events
//! are not what a client sees. [`conform`] searches the model for a path on which every client
//! makes the calls its log shows, with the same HRESULTs, in the same order, and on which no call
//! of one client returns before a call another client's log shows returning earlier (times are
//! milliseconds of one clock, `GetTickCount64`, shared by every process of the prefix; events in
//! the same millisecond are not ordered). This is a search over every interleaving, not the
//! replay of one given path.
//!
//! The search is breadth-first over pairs (system state, how many of each client's events the
//! path has shown), so an accepted log's path is a shortest one. A model client that no log
//! client is assigned to must show nothing; the log's clients are tried against the model's in
//! every assignment.

use crate::com::client::ClientOp;
use crate::com::config::Config;
use crate::com::hresult::Hresult;
use crate::com::state::{clients, SysState};
use crate::verify::model::build;
use crate::verify::search::{fingerprint, successors, Action};
use stateright::Model;
use std::collections::{HashSet, VecDeque};
use std::fmt;

/// One call a client's log shows returning: the call, its HRESULT and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    /// The line of the log it was read from (1-based).
    pub line: usize,
    /// `t=`: milliseconds of `GetTickCount64`, one clock for every process of the prefix.
    pub t: u64,
    /// The call.
    pub op: ClientOp,
    /// The HRESULT as written (`hr=`).
    pub code: u32,
    /// The model's HRESULT with that code, if the model has one ([`Hresult::ALL`]).
    pub hr: Option<Hresult>,
}

impl fmt::Display for Observed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hr = self
            .hr
            .map_or_else(|| format!("0x{:08x}", self.code), |h| h.name().to_string());
        write!(
            f,
            "{} → {hr} (line {}, t={})",
            self.op.api(),
            self.line,
            self.t
        )
    }
}

/// One client process's observed calls, in the order its log file wrote them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientLog {
    /// The process id (`pid=`).
    pub pid: u64,
    /// Its calls that returned an HRESULT, in order.
    pub events: Vec<Observed>,
}

/// The client-visible part of a harness run's event log: one entry per client process, in the
/// order the processes first appear.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventLog {
    /// The client processes.
    pub clients: Vec<ClientLog>,
}

/// A malformed event log: the line and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogError {
    /// The 1-based line.
    pub line: usize,
    /// What is wrong, naming what is valid.
    pub message: String,
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// The `via=` values of `activation-answered` and the calls they name.
const VIA: [(&str, ClientOp); 3] = [
    ("CoCreateInstance", ClientOp::CoCreateInstance),
    ("CoGetClassObject", ClientOp::CoGetClassObject),
    ("IClassFactory::CreateInstance", ClientOp::CreateInstance),
];

impl EventLog {
    /// Reads an event log (docs/wine.md, "Event lines"): every non-blank line is an `EVT`
    /// line; the client-visible events are kept, every other event is read and skipped.
    ///
    /// # Errors
    /// A line that is not an `EVT` line, lacks `pid=`, `t=` or `prog=`, or whose client event
    /// lacks a key it needs or has a value the format does not allow (an unknown `via=`, an
    /// `hr=` that is not a 32-bit hexadecimal value).
    pub fn parse(text: &str) -> Result<EventLog, LogError> {
        let mut log = EventLog::default();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let err = |message: String| LogError { line, message };
            let s = raw.trim();
            if s.is_empty() {
                continue;
            }
            let mut words = s.split_whitespace();
            if words.next() != Some("EVT") {
                return Err(err(format!(
                    "not an event line (expected `EVT pid=… t=… prog=… EVENT key=value …`): {}",
                    crate::com::scenario::quote_prefix(s)
                )));
            }
            let words: Vec<&str> = words.collect();
            let key = |k: &str| -> Option<&str> {
                words
                    .iter()
                    .find_map(|w| w.strip_prefix(k)?.strip_prefix('='))
            };
            let number = |k: &str| -> Result<u64, LogError> {
                let v = key(k).ok_or_else(|| err(format!("missing `{k}=`")))?;
                v.parse()
                    .map_err(|_| err(format!("`{k}={v}` is not a non-negative integer")))
            };
            let pid = number("pid")?;
            let t = number("t")?;
            let prog = key("prog").ok_or_else(|| err("missing `prog=`".into()))?;
            // The event is the first word after the three header keys.
            let event = words
                .iter()
                .find(|w| !w.contains('='))
                .copied()
                .ok_or_else(|| err("no event name after `prog=`".into()))?;
            if prog != "client" {
                continue;
            }
            let op = match event {
                "activation-answered" => {
                    let via = key("via").ok_or_else(|| err("missing `via=`".into()))?;
                    VIA.iter()
                        .find(|(name, _)| *name == via)
                        .map(|(_, op)| *op)
                        .ok_or_else(|| {
                            err(format!(
                                "unknown `via={via}`; valid: {}",
                                VIA.map(|(n, _)| n).join(", ")
                            ))
                        })?
                }
                "lockserver" => match key("fLock") {
                    Some("1") => ClientOp::LockServerTrue,
                    Some("0") => ClientOp::LockServerFalse,
                    other => {
                        return Err(err(format!(
                            "`lockserver` needs `fLock=1` or `fLock=0`, not {other:?}"
                        )))
                    }
                },
                "call" => ClientOp::Call,
                _ => continue,
            };
            let hr_text = key("hr").ok_or_else(|| err(format!("`{event}` without `hr=`")))?;
            let code = hr_text
                .strip_prefix("0x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    err(format!(
                        "`hr={hr_text}` is not a 32-bit hexadecimal HRESULT (0x…)"
                    ))
                })?;
            let hr = Hresult::ALL.into_iter().find(|h| h.code() == code);
            let observed = Observed {
                line,
                t,
                op,
                code,
                hr,
            };
            match log.clients.iter_mut().find(|c| c.pid == pid) {
                Some(c) => c.events.push(observed),
                None => log.clients.push(ClientLog {
                    pid,
                    events: vec![observed],
                }),
            }
        }
        Ok(log)
    }

    /// Number of observed calls in all.
    pub fn len(&self) -> usize {
        self.clients.iter().map(|c| c.events.len()).sum()
    }

    /// Whether no client observed anything.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What the search found.
#[derive(Clone, Debug)]
pub enum Conformance {
    /// A model path shows the log: `assignment[k]` is the model client of log client `k`, and
    /// `path` the actions from the initial state (a shortest such path).
    Accepted {
        /// The model client (index) of each log client.
        assignment: Vec<usize>,
        /// The model's actions, from its initial state.
        path: Vec<Action>,
        /// Pairs (state, progress) explored.
        explored: usize,
    },
    /// No model path shows the log. `matched` is the most of each log client's events some
    /// path showed (in the assignment that got furthest), `next` the first event no path
    /// could show after them, and `offered` what the model's clients observed instead there.
    Rejected {
        /// Per log client, how many of its events the furthest path showed.
        matched: Vec<usize>,
        /// The log client and the event no path showed next, if any.
        next: Option<(usize, Observed)>,
        /// What the model's clients observed instead on the paths that got furthest: (log client,
        /// call, HRESULT), sorted.
        offered: Vec<(usize, ClientOp, Hresult)>,
        /// Pairs (state, progress) explored.
        explored: usize,
    },
    /// The search stopped at `max` explored pairs before it decided.
    Unknown {
        /// The bound that was reached.
        max: usize,
    },
}

/// One node of the search: a state and how far each log client's events have been shown.
struct Node {
    state: SysState,
    progress: Vec<usize>,
    parent: Option<(usize, Action)>,
}

/// The (call, HRESULT) pairs client `m` observed in `after` and not in `before`.
fn newly_observed(
    cfg: &Config,
    before: &SysState,
    after: &SysState,
    m: usize,
) -> Vec<(ClientOp, Hresult)> {
    let b = clients(cfg, before).nth(m).expect("client").observed;
    let a = clients(cfg, after).nth(m).expect("client").observed;
    a.iter().filter(|(op, hr)| !b.saw(*op, *hr)).collect()
}

/// Searches the model of `cfg` for a path that shows `log` (module docs), exploring at most
/// `max` pairs of (state, progress) per assignment of log clients to model clients.
///
/// A log with more clients than the model has, or a scenario without local clients (`inproc`,
/// `service`, whose harness cases do not exist), is rejected by the caller
/// ([`check_applicable`]).
pub fn conform(cfg: Config, log: &EventLog, max: usize) -> Conformance {
    let model = build(cfg);
    let mut best: Option<Conformance> = None;
    let mut best_total = 0usize;
    for assignment in assignments(log.clients.len(), cfg.clients) {
        match search(&model, &cfg, log, &assignment, max) {
            found @ Conformance::Accepted { .. } => return found,
            unknown @ Conformance::Unknown { .. } => return unknown,
            rejected @ Conformance::Rejected { .. } => {
                let Conformance::Rejected { matched, .. } = &rejected else {
                    unreachable!()
                };
                let total: usize = matched.iter().sum();
                if best.is_none() || total > best_total {
                    best_total = total;
                    best = Some(rejected);
                }
            }
        }
    }
    best.unwrap_or(Conformance::Rejected {
        matched: vec![0; log.clients.len()],
        next: None,
        offered: Vec::new(),
        explored: 0,
    })
}

/// Why `cfg` cannot be searched for `log`, if it cannot: conformance is defined for the local
/// scenarios' client processes, and the model needs a client for each of the log's.
///
/// # Errors
/// The reason, naming the valid choices.
pub fn check_applicable(cfg: &Config, log: &EventLog) -> Result<(), String> {
    if !cfg.scenario.is_local() {
        return Err(format!(
            "scenario '{}' has no client processes of its own to compare a harness log with; \
             conformance is checked for the EXE-server scenarios (`comlife list`)",
            cfg.scenario.name()
        ));
    }
    if log.clients.len() > cfg.clients {
        return Err(format!(
            "the log has {} client processes and the model {}; give --clients {}",
            log.clients.len(),
            cfg.clients,
            log.clients.len()
        ));
    }
    Ok(())
}

/// Every injective map from `n` log clients to `m` model clients, as the model index of each.
fn assignments(n: usize, m: usize) -> Vec<Vec<usize>> {
    fn go(n: usize, m: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if cur.len() == n {
            out.push(cur.clone());
            return;
        }
        for i in 0..m {
            if !cur.contains(&i) {
                cur.push(i);
                go(n, m, cur, out);
                cur.pop();
            }
        }
    }
    let mut out = Vec::new();
    go(n, m, &mut Vec::new(), &mut out);
    out
}

/// The breadth-first search for one assignment.
fn search(
    model: &crate::com::state::ComModel,
    cfg: &Config,
    log: &EventLog,
    assignment: &[usize],
    max: usize,
) -> Conformance {
    let owner = |m: usize| assignment.iter().position(|&a| a == m);
    let done = |p: &[usize]| {
        p.iter()
            .zip(&log.clients)
            .all(|(i, c)| *i == c.events.len())
    };
    let mut nodes: Vec<Node> = Vec::new();
    let mut seen: HashSet<(u64, Vec<usize>)> = HashSet::new();
    let mut queue = VecDeque::new();
    for s in model.init_states() {
        let progress = vec![0; log.clients.len()];
        if seen.insert((fingerprint(&s), progress.clone())) {
            nodes.push(Node {
                state: s,
                progress,
                parent: None,
            });
            queue.push_back(nodes.len() - 1);
        }
    }
    // The node that got furthest, with what its successors offered instead.
    let mut furthest = (0usize, 0usize, Vec::new());
    while let Some(i) = queue.pop_front() {
        if done(&nodes[i].progress) {
            return Conformance::Accepted {
                assignment: assignment.to_vec(),
                path: path_to(&nodes, i),
                explored: nodes.len(),
            };
        }
        if nodes.len() >= max {
            return Conformance::Unknown { max };
        }
        let total: usize = nodes[i].progress.iter().sum();
        let mut offered = Vec::new();
        for (action, next) in successors(model, &nodes[i].state) {
            let mut progress = nodes[i].progress.clone();
            let mut fits = true;
            for m in 0..cfg.clients {
                for (op, hr) in newly_observed(cfg, &nodes[i].state, &next, m) {
                    let Some(k) = owner(m) else {
                        // A model client without a log client must show nothing.
                        fits = false;
                        continue;
                    };
                    let events = &log.clients[k].events;
                    let shows = events.get(progress[k]).is_some_and(|e| {
                        e.op == op
                            && e.hr == Some(hr)
                            && ordered_after_earlier(log, &progress, k, e.t)
                    });
                    if shows {
                        progress[k] += 1;
                    } else {
                        offered.push((k, op, hr));
                        fits = false;
                    }
                }
            }
            if !fits {
                continue;
            }
            if seen.insert((fingerprint(&next), progress.clone())) {
                nodes.push(Node {
                    state: next,
                    progress,
                    parent: Some((i, action)),
                });
                queue.push_back(nodes.len() - 1);
            }
        }
        // What every node that got furthest offered instead (the first such node's progress
        // is reported).
        if total > furthest.0 {
            furthest = (total, i, offered);
        } else if total == furthest.0 {
            furthest.2.extend(offered);
        }
    }
    let (_, at, mut offered) = furthest;
    offered.sort();
    offered.dedup();
    let matched = nodes[at].progress.clone();
    let next = matched
        .iter()
        .enumerate()
        .filter_map(|(k, &n)| log.clients[k].events.get(n).map(|e| (k, e.clone())))
        .min_by_key(|(_, e)| e.t);
    Conformance::Rejected {
        matched,
        next,
        offered,
        explored: nodes.len(),
    }
}

/// Whether log client `k`'s event at time `t` may come now: every other client's event that
/// the log shows returning strictly earlier has been shown.
fn ordered_after_earlier(log: &EventLog, progress: &[usize], k: usize, t: u64) -> bool {
    log.clients
        .iter()
        .enumerate()
        .all(|(j, c)| j == k || c.events.iter().take_while(|e| e.t < t).count() <= progress[j])
}

/// The actions from the initial state to node `i`.
fn path_to(nodes: &[Node], mut i: usize) -> Vec<Action> {
    let mut path = Vec::new();
    while let Some((parent, action)) = &nodes[i].parent {
        path.push(action.clone());
        i = *parent;
    }
    path.reverse();
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_client_events_and_skips_the_rest() {
        let log = EventLog::parse(
            "EVT pid=7 t=10 prog=server register hr=0x00000000 flags=0x0 cookie=1\n\
             EVT pid=8 t=11 prog=client activation-sent via=CoCreateInstance\n\
             \n\
             EVT pid=8 t=12 prog=client activation-answered via=CoCreateInstance hr=0x00000000 ms=1\n\
             EVT pid=8 t=13 prog=client lockserver fLock=1 hr=0x80004001\n\
             EVT pid=8 t=14 prog=client call method=GetClassID hr=0x800706ba\n\
             EVT pid=8 t=15 prog=client release what=obj refs=0\n",
        )
        .unwrap();
        assert_eq!(log.clients.len(), 1);
        let ops: Vec<_> = log.clients[0].events.iter().map(|e| (e.op, e.hr)).collect();
        assert_eq!(
            ops,
            [
                (ClientOp::CoCreateInstance, Some(Hresult::S_OK)),
                (ClientOp::LockServerTrue, Some(Hresult::E_NOTIMPL)),
                (ClientOp::Call, Some(Hresult::RPC_S_SERVER_UNAVAILABLE)),
            ]
        );
        assert_eq!(log.clients[0].events[0].line, 4);
    }

    #[test]
    fn malformed_lines_name_the_line_and_what_is_valid() {
        let e = EventLog::parse("EVT pid=1 t=2 prog=client x\nhello").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("not an event line"), "{e}");
        let e = EventLog::parse("EVT pid=1 t=2 prog=client activation-answered via=Foo hr=0x0")
            .unwrap_err();
        assert!(e.message.contains("CoGetClassObject"), "{e}");
        let e = EventLog::parse("EVT pid=1 t=2 prog=client call hr=12").unwrap_err();
        assert!(e.message.contains("hexadecimal"), "{e}");
        let e = EventLog::parse("EVT pid=x t=2 prog=client call hr=0x0").unwrap_err();
        assert!(e.message.contains("pid=x"), "{e}");
    }

    #[test]
    fn an_unknown_hresult_is_kept_as_its_code() {
        let log = EventLog::parse("EVT pid=1 t=2 prog=client call hr=0x8000ffff").unwrap();
        assert_eq!(log.clients[0].events[0].hr, None);
        assert_eq!(log.clients[0].events[0].code, 0x8000_ffff);
    }

    #[test]
    fn assignments_are_every_injection() {
        assert_eq!(assignments(1, 2), vec![vec![0], vec![1]]);
        assert_eq!(assignments(2, 2).len(), 2);
        assert_eq!(assignments(2, 3).len(), 6);
        assert_eq!(assignments(0, 2), vec![Vec::<usize>::new()]);
    }
}
