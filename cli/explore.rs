//! `comlife explore`: stateright's Explorer (a web page to walk the state graph step by step)
//! for one run, on loopback unless another address is given.
//!
//! The page is stateright 0.31's own (cli/explorer_ui/, MIT licensed), and comlife answers its
//! requests (the same HTTP interface as stateright's `serve`):
//!
//! - `GET /.status`: the run's counts and, per property, the path of its discovery. The
//!   discoveries are those of `comlife check` (model/verify/search.rs, breadth-first): each is
//!   a shortest trace, the one of the property's trace file, so the page's discovery links and
//!   the Explorer links of trace files open the same path
//!   ([`comlife::trace::itf_trace::explorer_path`]). stateright's `serve` always runs its
//!   on-demand checker, whose search order is depth-first-like and whose discovery of a
//!   property is replaced by each later violating state it visits: its paths were 67–73 steps
//!   on local-sta where `check` reports 14–26.
//! - `GET /.states/I/A/B…`: the successors of the state reached by initial state `I` and action
//!   indices `A`, `B`, … (all initial states for `/.states`), each with the step in COM terms
//!   ([`action_phrase`]), its outcome (what it changed, [`state_text::step`], then the state it
//!   leads to) and that state alone ([`state_text::state`]; the page's "Complete State?"), never
//!   stateright's `Debug` text of the actor model.
//! - `POST /.runtocompletion`: nothing to do, the check always runs to completion.

use comlife::com::config::Config;
use comlife::com::system::{ComModel, SysState};
use comlife::trace::itf_trace::explorer_path;
use comlife::trace::state_text::{self, rename_classes};
use comlife::verify::check::{self, RunOptions};
use comlife::verify::model::{build, properties_of};
use comlife::verify::search::{action_phrase, fingerprint, Action};
use serde_json::{json, Map, Value};
use stateright::{Expectation, Model, Path};
use std::net::{TcpListener, ToSocketAddrs};
use std::process::ExitCode;
use std::sync::{Arc, RwLock};
use tiny_http::{Header, Method, Request, Response, Server};

/// The files of stateright 0.31's Explorer page: URL path, content type, content.
const UI: [(&str, &str, &str); 4] = [
    (
        "/",
        "text/html; charset=utf-8",
        include_str!("explorer_ui/index.htm"),
    ),
    (
        "/app.css",
        "text/css; charset=utf-8",
        include_str!("explorer_ui/app.css"),
    ),
    (
        "/app.js",
        "text/javascript; charset=utf-8",
        include_str!("explorer_ui/app.js"),
    ),
    (
        "/knockout-3.5.0.js",
        "text/javascript; charset=utf-8",
        include_str!("explorer_ui/knockout-3.5.0.js"),
    ),
];

/// What the check established: the Explorer's status once it is done.
struct Checked {
    /// States generated, repeats included.
    states: usize,
    /// Unique states (classes of states under symmetry reduction, as `check` counts them).
    unique_states: usize,
    /// Longest path explored, in steps.
    max_depth: usize,
    /// Per property of the run, the Explorer path of its shortest discovery, if any.
    discoveries: Vec<Option<String>>,
}

/// The Explorer's model and what its check found so far.
struct Explorer {
    model: ComModel,
    /// A server description's class names, shown in place of `CLSID_A`… (empty for a scenario).
    class_names: Vec<String>,
    /// `None` while the check runs.
    checked: RwLock<Option<Checked>>,
}

impl Explorer {
    /// `text` in the run's class names.
    fn named(&self, text: &str) -> String {
        rename_classes(text, &self.class_names)
    }

    /// The properties as the page lists them: `[expectation, name, discovery path or null]`.
    fn properties(&self) -> Value {
        let checked = self.checked.read().unwrap();
        let defs = properties_of(&self.model.cfg);
        Value::Array(
            defs.iter()
                .enumerate()
                .map(|(i, d)| {
                    let path = checked.as_ref().and_then(|c| c.discoveries[i].clone());
                    json!([expectation(&d.expectation), d.name, path])
                })
                .collect(),
        )
    }

    /// The answer to `GET /.status`.
    fn status(&self) -> Value {
        let cfg = &self.model.cfg;
        let checked = self.checked.read().unwrap();
        let (states, unique, depth) = checked
            .as_ref()
            .map_or((0, 0, 0), |c| (c.states, c.unique_states, c.max_depth));
        json!({
            "done": checked.is_some(),
            "model": format!(
                "{} ({}); unique states counted per symmetry class, as comlife check counts them",
                cfg.scenario.name(),
                cfg.run_label()
            ),
            "state_count": states,
            "unique_state_count": unique,
            "max_depth": depth,
            "properties": self.properties(),
            "recent_path": checked.is_none().then_some("checking every state (comlife check)"),
        })
    }

    /// The answer to `GET /.states{path}`: the successors of the state at `path` (`/0/3`), or
    /// the initial states for an empty path, as stateright's Explorer encodes its `StateView`s.
    ///
    /// # Errors
    /// When `path` is not `/`-separated action indices or does not lead to a state.
    fn states(&self, path: &str) -> Result<Value, String> {
        let path = path.strip_suffix('/').unwrap_or(path);
        let mut parts = path.split('/');
        let indices: Option<Vec<usize>> = match parts.next() {
            Some("") => parts.map(|p| p.parse().ok()).collect(),
            _ => None,
        };
        let indices = indices.ok_or_else(|| format!("Unable to parse action indices {path}"))?;
        let model = &self.model;
        let inits = model.init_states();
        let properties = self.properties();
        let view = |action: Option<String>,
                    outcome: Option<String>,
                    state: Option<&SysState>,
                    svg: Option<String>,
                    index: usize| {
            let mut v = Map::new();
            if let Some(a) = action {
                v.insert("action".into(), json!(self.named(&a)));
            }
            if let Some(o) = outcome {
                v.insert("outcome".into(), json!(self.named(&o)));
            }
            if let Some(s) = state {
                v.insert(
                    "state".into(),
                    json!(self.named(&state_text::state(model, s))),
                );
                v.insert("fingerprint".into(), json!(fingerprint(s).to_string()));
            }
            v.insert("properties".into(), properties.clone());
            if let Some(svg) = svg {
                v.insert("svg".into(), json!(self.named(&svg)));
            }
            v.insert("actionIndex".into(), json!(index));
            Value::Object(v)
        };
        let Some((&first, rest)) = indices.split_first() else {
            let views = inits
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let svg = model
                        .as_svg(Path::from_actions(model, s.clone(), &[] as &[Action]).unwrap());
                    view(None, None, Some(s), svg, i)
                })
                .collect();
            return Ok(Value::Array(views));
        };
        let missing = || format!("Unable to find state following action indices {path}");
        let init = inits.get(first).ok_or_else(missing)?.clone();
        // Replays the path as stateright's Explorer does: an action the model ignores leaves
        // the state as it is.
        let mut last = init.clone();
        let mut taken: Vec<Action> = Vec::new();
        for &i in rest {
            let action = enabled(model, &last)
                .into_iter()
                .nth(i)
                .ok_or_else(missing)?;
            if let Some(next) = model.next_state(&last, action.clone()) {
                last = next;
                taken.push(action);
            }
        }
        let views = enabled(model, &last)
            .into_iter()
            .enumerate()
            .map(|(i, a)| {
                let phrase = action_phrase(model, &a);
                match model.next_state(&last, a.clone()) {
                    Some(next) => {
                        let steps = taken.iter().chain(std::iter::once(&a));
                        let svg = Path::from_actions(model, init.clone(), steps)
                            .and_then(|p| model.as_svg(p));
                        // What the step did, then where it leads ("Complete State?" shows
                        // the state alone).
                        let outcome = format!(
                            "{}\n{}",
                            state_text::step(model, &last, &next),
                            state_text::state(model, &next)
                        );
                        view(Some(phrase), Some(outcome), Some(&next), svg, i)
                    }
                    None => view(Some(phrase), None, None, None, i),
                }
            })
            .collect();
        Ok(Value::Array(views))
    }

    /// Answers one request of the page.
    fn answer(&self, rq: Request) {
        let url = rq.url().to_string();
        // With its length, never chunked: every answer is built whole, and simple clients
        // (the tests' HTTP/1.1 GET) read it to the end.
        let json = |v: &Value| {
            Response::from_data(serde_json::to_vec(v).unwrap_or_default())
                .with_header(content_type("application/json"))
                .with_chunked_threshold(usize::MAX)
                .boxed()
        };
        let response = match (rq.method(), url.as_str()) {
            (Method::Get, "/.status") => json(&self.status()),
            (Method::Post, "/.runtocompletion") => Response::empty(200).boxed(),
            (Method::Get, u) if u.starts_with("/.states") => {
                match self.states(&u[".states".len() + 1..]) {
                    Ok(v) => json(&v),
                    Err(e) => Response::from_string(e).with_status_code(404).boxed(),
                }
            }
            (Method::Get, u) => match UI.iter().find(|(p, _, _)| *p == u) {
                Some((_, ty, body)) => Response::from_string(*body)
                    .with_header(content_type(ty))
                    .with_chunked_threshold(usize::MAX)
                    .boxed(),
                None => Response::empty(404).boxed(),
            },
            _ => Response::empty(405).boxed(),
        };
        // A client that went away is no error of the Explorer's.
        let _ = rq.respond(response);
    }
}

/// The actions of `model` enabled in `s`, in the model's order (their indices are the path's).
fn enabled(model: &ComModel, s: &SysState) -> Vec<Action> {
    let mut v = Vec::new();
    model.actions(s, &mut v);
    v
}

/// A `Content-Type` header.
fn content_type(ty: &str) -> Header {
    Header::from_bytes(&b"Content-Type"[..], ty.as_bytes()).expect("a valid header")
}

/// An expectation as stateright's Explorer page names it.
fn expectation(e: &Expectation) -> &'static str {
    match e {
        Expectation::Always => "Always",
        Expectation::Sometimes => "Sometimes",
        Expectation::Eventually => "Eventually",
    }
}

/// Checks the run of `explorer` as `comlife check` does and records its discoveries.
fn check(explorer: &Explorer) {
    let report = check::run(explorer.model.cfg, RunOptions::default());
    let discoveries = report
        .properties
        .iter()
        .map(|p| {
            p.trace
                .as_ref()
                .and_then(|t| explorer_path(&explorer.model, t))
        })
        .collect();
    *explorer.checked.write().unwrap() = Some(Checked {
        states: report.states,
        unique_states: report.unique_states,
        max_depth: report.max_depth,
        discoveries,
    });
    println!(
        "checked {} unique states; the page links each discovery's shortest path",
        report.unique_states
    );
}

/// Serves the Explorer for the run of `cfg` at `addr` (a `host:port`), showing a server
/// description's `class_names` in place of the model's (empty for a scenario). Blocks while
/// serving. Exit status 2 when `addr` does not parse or its port is taken.
pub fn run(cfg: Config, class_names: &[String], addr: &str) -> ExitCode {
    let sock = match addr.to_socket_addrs().map(|mut a| a.next()) {
        Ok(Some(s)) => s,
        _ => {
            eprintln!("comlife: --addr '{addr}' is not a host:port address (e.g. 127.0.0.1:3000)");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(sock) {
        Ok(l) => l,
        Err(e) => {
            let hint = match e.kind() {
                std::io::ErrorKind::AddrInUse => {
                    " (is another `comlife explore` running? choose another port with --addr)"
                }
                std::io::ErrorKind::AddrNotAvailable => {
                    " (not an address of this machine; 127.0.0.1 serves locally)"
                }
                _ => "",
            };
            eprintln!("comlife: cannot serve the Explorer on {sock}: {e}{hint}");
            return ExitCode::from(2);
        }
    };
    let server = match Server::from_listener(listener, None) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("comlife: cannot serve the Explorer on {sock}: {e}");
            return ExitCode::from(2);
        }
    };
    if !sock.ip().is_loopback() {
        eprintln!("comlife: warning: serving on {sock}, reachable from other machines");
    }
    println!(
        "Explorer for {} ({}) at http://{sock}/ — checking every state; Ctrl-C to stop",
        cfg.scenario.name(),
        cfg.run_label()
    );
    let explorer = Arc::new(Explorer {
        model: build(cfg),
        class_names: class_names.to_vec(),
        checked: RwLock::new(None),
    });
    let checking = Arc::clone(&explorer);
    std::thread::spawn(move || check(&checking));
    for rq in server.incoming_requests() {
        explorer.answer(rq);
    }
    ExitCode::SUCCESS
}
