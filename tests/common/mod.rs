//! Helpers shared by the test crates that run the `comlife` binary or write files, and (in
//! `handlers`) by the handler tests.

// Each test crate includes this module and uses part of it.
#![allow(dead_code)]

pub mod handlers;

use std::path::PathBuf;
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

/// A fresh, empty directory for one test, named after the test crate, `name` and the process.
pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "comlife-{}-{name}-{}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
