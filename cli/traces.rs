//! Writing traces: for every trace of a run, `<dir>/<scenario>/<baseline or mechanisms>/
//! <property>.itf.json`, `.md` and `.html`; stale files in the directories written are
//! removed, so the directory reflects exactly the current model. Every file is written to a
//! temporary file first and renamed into place, so none is ever half-written.

use crate::trace_html::page;
use comlife::check::RunReport;
use comlife::itf::{document, to_text};
use comlife::narrative::markdown;
use comlife::replay::load;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The extensions of the files a trace is written as.
pub const EXTENSIONS: [&str; 3] = [".itf.json", ".md", ".html"];

/// Writes `body` to `path` atomically: a temporary file in the same directory, then a rename.
/// Creates missing parent directories.
///
/// # Errors
/// Any I/O error; the temporary file is removed then.
pub fn write_atomic(path: &Path, body: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(body.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The directory of a run's traces below `root`.
pub fn run_dir(root: &Path, report: &RunReport) -> PathBuf {
    root.join(report.cfg.scenario.name())
        .join(report.cfg.toggled.label())
}

/// Writes every trace of `report` below `root`; returns the files written.
///
/// # Errors
/// A message naming the file that could not be encoded or written.
pub fn write_report(root: &Path, report: &RunReport) -> Result<Vec<PathBuf>, String> {
    let dir = run_dir(root, report);
    let mut written = Vec::new();
    for p in &report.properties {
        let Some(trace) = &p.trace else { continue };
        let doc = document(&report.cfg, p.def, trace)
            .map_err(|e| format!("{} / {}: {e}", dir.display(), p.def.name))?;
        let text = to_text(&doc);
        let loaded = load(&text).map_err(|e| {
            format!(
                "{} / {}: the trace written does not read back: {e}",
                dir.display(),
                p.def.name
            )
        })?;
        for (ext, body) in [
            (EXTENSIONS[0], text),
            (EXTENSIONS[1], markdown(&loaded)),
            (EXTENSIONS[2], page(&loaded)),
        ] {
            let path = dir.join(format!("{}{ext}", p.def.name));
            write_atomic(&path, &body)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            written.push(path);
        }
    }
    Ok(written)
}

/// Removes from `dirs` every file not in `keep`, then removes directories left empty (up to,
/// not including, `root`).
///
/// # Errors
/// A message naming what could not be removed.
pub fn remove_stale(root: &Path, dirs: &[PathBuf], keep: &BTreeSet<PathBuf>) -> Result<(), String> {
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_file() && !keep.contains(&path) {
                std::fs::remove_file(&path)
                    .map_err(|err| format!("cannot remove stale {}: {err}", path.display()))?;
            }
        }
        let mut d = dir.clone();
        while d != root && d.starts_with(root) {
            if std::fs::remove_dir(&d).is_err() {
                break; // not empty
            }
            match d.parent() {
                Some(p) => d = p.to_path_buf(),
                None => break,
            }
        }
    }
    Ok(())
}

/// The run directories (`<root>/<scenario>/<configuration>`) that exist below `root`.
pub fn existing_run_dirs(root: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    let Ok(scenarios) = std::fs::read_dir(root) else {
        return v;
    };
    for s in scenarios.flatten().filter(|e| e.path().is_dir()) {
        if let Ok(runs) = std::fs::read_dir(s.path()) {
            v.extend(runs.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
        }
        v.push(s.path());
    }
    v.sort();
    v
}

/// Writes the traces of one run below `root` and removes that run's stale files.
///
/// # Errors
/// A message naming the file that could not be written or removed.
pub fn write_run(root: &Path, report: &RunReport) -> Result<usize, String> {
    let written = write_report(root, report)?;
    let keep: BTreeSet<PathBuf> = written.iter().cloned().collect();
    remove_stale(root, &[run_dir(root, report)], &keep)?;
    Ok(written.len() / EXTENSIONS.len())
}
