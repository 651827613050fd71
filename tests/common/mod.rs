//! Helpers shared by the test crates that run the `comlife` binary or write files, and (in
//! `handlers`) by the handler tests.

// Each test crate includes this module and uses part of it.
#![allow(dead_code)]

pub mod handlers;

use std::path::Path;
use std::process::Command;

/// Runs `comlife` with `args`: exit status, stdout, stderr.
pub fn comlife(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_comlife"))
        .args(args)
        .output()
        .expect("comlife runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// A test's scratch directory ([`temp_dir`]): removed with everything in it when dropped, at the
/// end of the test that holds it, whether it passes or fails. Read it as a [`Path`].
pub struct Scratch(tempfile::TempDir);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        self.0.path()
    }
}

/// A fresh, empty directory for one test (tempfile's), named after the test crate and `name`.
pub fn temp_dir(name: &str) -> Scratch {
    let d = tempfile::Builder::new()
        .prefix(&format!("comlife-{}-{name}-", env!("CARGO_CRATE_NAME")))
        .tempdir()
        .expect("a scratch directory");
    Scratch(d)
}

/// A free loopback port (bound and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The body of `GET path` from the server on loopback `port`, if it answers.
pub fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    buf.split_once("\r\n\r\n").map(|(_, b)| b.to_string())
}

/// A `comlife explore` serving on a free loopback port; killed when dropped.
pub struct Explorer {
    child: std::process::Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Its `/.status` once checking was done.
    pub status: serde_json::Value,
}

impl Explorer {
    /// Starts `comlife explore ARGS --addr 127.0.0.1:PORT` and waits (up to 120 s) until its
    /// `/.status` says checking is done.
    pub fn serve(args: &[&str]) -> Explorer {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_comlife"))
            .arg("explore")
            .args(args)
            .args(["--addr", &format!("127.0.0.1:{port}")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut e = Explorer {
            child,
            port,
            status: serde_json::Value::Null,
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while std::time::Instant::now() < deadline {
            let status = e.get("/.status");
            if let Some(v) = status.and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok())
            {
                if v["done"] == true {
                    e.status = v;
                    return e;
                }
            }
            if let Some(code) = e.child.try_wait().unwrap() {
                panic!("comlife explore {args:?} exited: {code}");
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        panic!("comlife explore {args:?} did not finish checking within 120 s");
    }

    /// The body of `GET path`.
    pub fn get(&self, path: &str) -> Option<String> {
        http_get(self.port, path)
    }
}

impl Drop for Explorer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every run of the two-client matrix, as `check` runs it (its built-in description, under its
/// runtime).
pub fn matrix_runs() -> Vec<comlife::com::config::Config> {
    comlife::description::builtin::matrix_configs(comlife::com::config::DEFAULT_CLIENTS)
}

/// The runs of [`matrix_runs`] of at most `states` pinned states (spec/expectations.toml),
/// and the number of runs in all.
pub fn matrix_runs_up_to(states: usize) -> (Vec<comlife::com::config::Config>, usize) {
    let pins = comlife::verify::expectations::Expectations::embedded();
    let all = matrix_runs();
    let total = all.len();
    let runs = all
        .into_iter()
        .filter(|c| {
            pins.states_on(c.scenario, c.runtime, c.toggled)
                .is_some_and(|n| n <= states)
        })
        .collect();
    (runs, total)
}
