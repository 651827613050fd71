//! `comlife repro TRACE -o DIR`: writes a self-contained reproducer of a trace (issue 19 §5):
//! the harness's C programs (embedded), build scripts for mingw-w64 and MSVC's cl, registration
//! for Wine and Windows, `run.sh` that drives the real processes through the trace's order as
//! finely as the schedule points allow, `expected.txt` (what the trace says the run observes)
//! and a README. One table (table.rs) says which scenarios and toggles the C programs express
//! and where their schedule points are; exe.rs plans an EXE server's trace, inproc.rs an
//! in-process DLL's. This file reads the trace, checks it against the table, and writes.
//!
//! The schedule is derived from the trace, never written by hand (exe.rs and inproc.rs say
//! how); no file of a reproducer is written per finding.

use crate::fs_policy::{read_input, TRACE_CAP};
use comlife::trace::replay::replay;
use std::path::{Path, PathBuf};

mod exe;
mod inproc;
mod table;

use std::process::ExitCode;

/// A reproducer's files: (name, text, executable).
type Files = Vec<(String, String, bool)>;

/// A reproducer refused or failed: the message and the exit status.
struct Refusal(String, u8);

fn refuse(msg: String) -> Refusal {
    Refusal(msg, 2)
}

/// Runs `comlife repro FILE -o DIR [--force]`: exit 0 with the files written, 1 when the trace
/// no longer replays, 2 for a bad, unreadable or unsupported trace or an output directory that
/// exists and is not empty (without `--force`); nothing is written on error.
pub fn run(file: &Path, out: &Path, force: bool) -> ExitCode {
    match build(file, out, force) {
        Ok(files) => match write_all(out, &files) {
            Ok(()) => {
                println!(
                    "{}: wrote {} files to {} (read {}/README.md)",
                    file.display(),
                    files.len(),
                    out.display(),
                    out.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("comlife: {e}");
                ExitCode::from(2)
            }
        },
        Err(Refusal(msg, code)) => {
            eprintln!("comlife: {msg}");
            ExitCode::from(code)
        }
    }
}

/// Checks the output directory: absent, or an empty directory, or (with `force`) any directory.
fn check_out(out: &Path, force: bool) -> Result<(), Refusal> {
    match std::fs::symlink_metadata(out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(refuse(format!("cannot use {}: {e}", out.display()))),
        Ok(m) if !m.is_dir() => Err(refuse(format!(
            "-o {}: exists and is not a directory; nothing written",
            out.display()
        ))),
        Ok(_) => {
            let non_empty = std::fs::read_dir(out)
                .map_err(|e| refuse(format!("cannot read {}: {e}", out.display())))?
                .next()
                .is_some();
            if non_empty && !force {
                Err(refuse(format!(
                    "-o {}: the directory exists and is not empty; --force writes into it; nothing written",
                    out.display()
                )))
            } else {
                Ok(())
            }
        }
    }
}

/// Writes every file; on a failure removes what it wrote (and the directory if it made it).
fn write_all(out: &Path, files: &[(String, String, bool)]) -> Result<(), String> {
    let made = !out.exists();
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let mut written: Vec<PathBuf> = Vec::new();
    for (name, text, exec) in files {
        let path = out.join(name);
        let res = std::fs::write(&path, text).and_then(|()| {
            #[cfg(unix)]
            if *exec {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
            }
            let _ = exec;
            Ok(())
        });
        if let Err(e) = res {
            for p in &written {
                let _ = std::fs::remove_file(p);
            }
            let _ = std::fs::remove_file(&path);
            if made {
                let _ = std::fs::remove_dir(out);
            }
            return Err(format!(
                "cannot write {}: {e}; nothing left written",
                path.display()
            ));
        }
        written.push(path);
    }
    Ok(())
}

/// Reads, checks against the table and plans: every file's (name, text, executable), or why
/// not.
fn build(file: &Path, out: &Path, force: bool) -> Result<Files, Refusal> {
    let text = read_input(file, "a trace", TRACE_CAP).map_err(refuse)?;
    let replayed =
        replay(&text).map_err(|e| Refusal(format!("{}: {e}", file.display()), e.exit_code()))?;
    let loaded = replayed.loaded;
    let cfg = &loaded.header.cfg;
    let meta = &loaded.header.meta;
    let supported = table::supported();
    let Some(entry) = table::entry(cfg.scenario.name()) else {
        return Err(refuse(format!(
            "{}: scenario {} is not expressed by the harness's C programs (harness/server.c, dll.c); repro supports: {supported}",
            file.display(),
            cfg.scenario.name()
        )));
    };
    if meta.layout.is_some() {
        return Err(refuse(format!(
            "{}: the trace is of a description's own layout, which the harness's C programs do not implement; repro supports: {supported}",
            file.display()
        )));
    }
    // The run's switches: the scenario's, then each toggle's.
    let mut switches: Vec<String> = entry.switches.iter().map(|s| s.to_string()).collect();
    for t in cfg.toggled.iter() {
        if entry.programs == table::Programs::Exe
            && table::RUNTIME_TOGGLES.iter().any(|(n, _)| *n == t.name())
        {
            continue; // the README says what it means (exe.rs)
        }
        let Some((_, add, remove)) = entry.toggles.iter().find(|(n, _, _)| *n == t.name()) else {
            return Err(refuse(format!(
                "{}: run {} toggles {}, which the harness's C programs do not implement for {}; repro supports: {supported}",
                file.display(),
                cfg.run_label(),
                t.name(),
                entry.scenario
            )));
        };
        switches.retain(|s| !remove.contains(&s.as_str()));
        switches.extend(add.iter().map(|s| s.to_string()));
    }
    check_out(out, force)?;
    match entry.programs {
        table::Programs::Exe => exe::plan(file, &loaded, entry, switches),
        table::Programs::Inproc => inproc::plan(file, &loaded, switches),
    }
}

/// The part every reproducer's run.sh shares: Wine's and wineserver's paths, a build with
/// mingw-w64 when `bin/FIRST` or `bin/SECOND` is missing, a fresh WINEPREFIX in a temporary
/// directory ended and removed on exit (`REPRO_KEEP=1` keeps it), and the log folder the
/// programs write to (`HARNESS_LOGDIR`, `$LOGS` in the script).
fn wine_prologue(first: &str, second: &str) -> String {
    format!(
        r#"set -euo pipefail
cd "$(dirname "$0")"
WINE="$(command -v wine64 || echo /usr/lib/wine/wine64)"
WINESERVER="$(command -v wineserver || echo /usr/lib/wine/wineserver)"
[ -x "$WINE" ] && [ -x "$WINESERVER" ] || {{ echo "run.sh: Wine not found" >&2; exit 2; }}
if [ ! -f bin/{first} ] || [ ! -f bin/{second} ]; then
    command -v x86_64-w64-mingw32-gcc >/dev/null || {{ echo "run.sh: mingw-w64 not found" >&2; exit 2; }}
    ./build-mingw.sh
fi
WORK="$(mktemp -d /tmp/comlife-repro.XXXXXX)"
export WINEPREFIX="$WORK/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="winemenubuilder.exe=d"
unset DISPLAY WAYLAND_DISPLAY
cleanup() {{
    timeout 30 "$WINESERVER" -k >/dev/null 2>&1 || true
    timeout 30 "$WINESERVER" -w >/dev/null 2>&1 || true
    if [ "${{REPRO_KEEP:-0}}" = 1 ]; then echo "run.sh: kept $WORK"; else rm -rf "$WORK"; fi
}}
trap cleanup EXIT
trap 'exit 130' INT TERM
timeout 180 "$WINE" wineboot -i >"$WORK/wineboot.log" 2>&1
timeout 60 "$WINESERVER" -w
LOGS="$WORK/logs"
mkdir -p "$LOGS"
export HARNESS_LOGDIR="Z:${{LOGS//\//\\}}"
"#
    )
}
