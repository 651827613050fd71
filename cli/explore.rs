//! `comlife explore`: stateright's Explorer (a web UI to walk the state graph step by step)
//! for one run, on loopback unless another address is given.

use comlife::com::config::Config;
use comlife::com::system::{ComModel, SysState};
use comlife::verify::model::{build, property_indices};
use comlife::verify::properties::PROPERTIES;
use comlife::verify::search::{action_phrase, Action};
use stateright::{Checker, HasDiscoveries, Model, Path, Property};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

/// The model as the Explorer shows it: the same states and actions (so Explorer paths are
/// those of trace files), with steps named in COM terms ([`action_phrase`]).
struct ComExplorer(ComModel);

/// Property `I` of [`PROPERTIES`] as a condition on [`ComExplorer`] (stateright wants a `fn`).
fn condition<const I: usize>(m: &ComExplorer, s: &SysState) -> bool {
    (PROPERTIES[I].condition)(&m.0, s)
}

type Condition = fn(&ComExplorer, &SysState) -> bool;

macro_rules! conditions {
    ($($i:literal)*) => { [$(condition::<$i>),*] };
}

/// One condition per entry of [`PROPERTIES`] (up to 64 properties).
const CONDITIONS: [Condition; 64] = conditions!(
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
    32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63
);

impl Model for ComExplorer {
    type State = SysState;
    type Action = Action;

    fn init_states(&self) -> Vec<SysState> {
        self.0.init_states()
    }
    fn actions(&self, state: &SysState, actions: &mut Vec<Action>) {
        self.0.actions(state, actions)
    }
    fn next_state(&self, last: &SysState, action: Action) -> Option<SysState> {
        self.0.next_state(last, action)
    }
    fn format_action(&self, action: &Action) -> String {
        action_phrase(&self.0, action)
    }
    fn format_step(&self, last: &SysState, action: Action) -> Option<String> {
        self.0.format_step(last, action)
    }
    fn as_svg(&self, path: Path<SysState, Action>) -> Option<String> {
        self.0.as_svg(path)
    }
    fn properties(&self) -> Vec<Property<Self>> {
        // The model's properties (`property_indices`), each as the condition of its index in
        // PROPERTIES.
        property_indices(&self.0.cfg)
            .into_iter()
            .filter_map(|i| {
                let d = &PROPERTIES[i];
                Some(Property {
                    expectation: d.expectation.clone(),
                    name: d.name,
                    condition: *CONDITIONS.get(i)?,
                })
            })
            .collect()
    }
    fn within_boundary(&self, state: &SysState) -> bool {
        Model::within_boundary(&self.0, state)
    }
}

/// Asks the Explorer at `addr` to check the whole state space (POST /.runtocompletion), so
/// every property's discovery is found and linked; retries until the server answers.
fn run_to_completion(addr: SocketAddr) {
    for _ in 0..200 {
        if let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            let req = format!(
                "POST /.runtocompletion HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            if s.write_all(req.as_bytes()).is_ok() {
                let mut buf = Vec::new();
                let _ = s.read_to_end(&mut buf);
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!("comlife: the Explorer did not answer; press \"Run to completion\" in the page");
}

/// Serves the Explorer for the run of `cfg` at `addr` (a `host:port`). Blocks while serving.
/// Exit status 2 when `addr` does not parse or its port is taken.
pub fn run(cfg: Config, addr: &str) -> ExitCode {
    let sock = match addr.to_socket_addrs().map(|mut a| a.next()) {
        Ok(Some(s)) => s,
        _ => {
            eprintln!("comlife: --addr '{addr}' is not a host:port address (e.g. 127.0.0.1:3000)");
            return ExitCode::from(2);
        }
    };
    // tiny_http panics on a bind error: check the port first.
    match TcpListener::bind(sock) {
        Ok(l) => drop(l),
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
    }
    if !sock.ip().is_loopback() {
        eprintln!("comlife: warning: serving on {sock}, reachable from other machines");
    }
    println!(
        "Explorer for {} ({}) at http://{sock}/ — checking runs to completion; Ctrl-C to stop",
        cfg.scenario.name(),
        cfg.toggled.label()
    );
    std::thread::spawn(move || run_to_completion(sock));
    let model = ComExplorer(build(cfg));
    if model.properties().len() < model.0.properties().len() {
        eprintln!("comlife: warning: the Explorer shows only the first 64 properties");
    }
    let checker = model
        .checker()
        // Never stop early: every property's discovery is looked for.
        .finish_when(HasDiscoveries::AnyOf(BTreeSet::new()))
        .serve(sock);
    // serve returns only if the web server stops.
    println!(
        "Explorer stopped after {} unique states",
        checker.unique_state_count()
    );
    ExitCode::SUCCESS
}
