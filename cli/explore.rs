//! `comlife explore`: stateright's Explorer (a web UI to walk the state graph step by step)
//! for one run, on loopback unless another address is given.

use comlife::config::Config;
use comlife::system::build;
use stateright::{Checker, HasDiscoveries, Model};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

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
            eprintln!(
                "comlife: cannot serve the Explorer on {sock}: {e} (is another `comlife explore` running? choose another port with --addr)"
            );
            return ExitCode::from(2);
        }
    }
    if !sock.ip().is_loopback() {
        eprintln!("comlife: warning: serving on {sock}, reachable from other machines");
    }
    println!(
        "Explorer for {} ({}) at http://{sock}/ — checking runs to completion; Ctrl-C to stop",
        cfg.scenario.name(),
        cfg.disabled.label()
    );
    std::thread::spawn(move || run_to_completion(sock));
    let checker = build(cfg)
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
