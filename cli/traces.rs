//! Writing traces: for every trace of a run, `<dir>/<scenario>/<run>/<property>.itf.json` and
//! `.md` ([`run_dir`]; a server description's name in place of the scenario's); stale files in the directories written are removed, so the
//! directory reflects exactly the current model. Every file is written to a temporary file
//! first and renamed into place, so none is ever half-written. The HTML pages are built on
//! demand ([`write_pages`], `check --html DIR`, `trace html`), not kept beside the traces.

use crate::fs_policy::{read_input, TRACE_CAP};
use crate::output::write_atomic;
use comlife::com::config::Config;
use comlife::trace::html::page;
use comlife::trace::itf_trace::{document_for, to_text, Origin};
use comlife::trace::meta::Search;
use comlife::trace::narrative::markdown;
use comlife::trace::replay::{checked, load};
use comlife::verify::check::RunReport;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The extensions of the files a trace is written as (the HTML page is made on demand).
pub const EXTENSIONS: [&str; 2] = [".itf.json", ".md"];

/// The directory of the traces of a run of `cfg` below `root`: `<top>/<run>`, where `top` is
/// the scenario's name (or a server description's) and `<run>` is
/// [`comlife::trace::meta::run_name`].
pub fn run_dir(root: &Path, top: &str, cfg: &Config, search: Search) -> PathBuf {
    root.join(top)
        .join(comlife::trace::meta::run_name(cfg, search))
}

/// Writes every trace of `report` into the directory `dir`; returns the files written. For a
/// server description's run, `origin` is the description (its name, which its pages use in
/// place of the scenario in paths, the command that explores it and its class names).
///
/// # Errors
/// A message naming the file that could not be encoded or written.
pub fn write_report_in(
    dir: &Path,
    report: &RunReport,
    origin: Option<&Origin>,
) -> Result<Vec<PathBuf>, String> {
    let mut written = Vec::new();
    for p in &report.properties {
        let Some(trace) = &p.trace else { continue };
        let search = Search::of_trace(report.simulated, report.por, p.shortest);
        let doc = document_for(&report.cfg, p.def, trace, search, origin)
            .map_err(|e| format!("{} / {}: {e}", dir.display(), p.def.name))?;
        let text = to_text(&doc);
        let loaded = checked(doc).map_err(|e| {
            format!(
                "{} / {}: the trace to be written is not a well-formed comlife trace: {e}",
                dir.display(),
                p.def.name
            )
        })?;
        for (ext, body) in [(EXTENSIONS[0], text), (EXTENSIONS[1], markdown(&loaded))] {
            let path = dir.join(format!("{}{ext}", p.def.name));
            write_atomic(&path, &body)?;
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

/// Checks, before anything runs, the directory `check --html DIR` writes pages into: it must
/// exist and be a directory (only its `<scenario>/<run>` subdirectories are created), and it
/// must not be the trace directory `traces` or lie inside it (that directory keeps only ITF and
/// Markdown files; pages there would be removed as stale by the next `check`).
///
/// # Errors
/// A message naming the directory and what is wrong with it.
pub fn check_html_dir(html: &Path, traces: Option<&Path>) -> Result<(), String> {
    if !html.is_dir() {
        return Err(format!(
            "--html {}: {} (check --html creates only the <scenario>/<run> directories below an existing DIR)",
            html.display(),
            if html.exists() {
                "not a directory"
            } else {
                "directory does not exist"
            }
        ));
    }
    let Some(traces) = traces else {
        return Err(
            "--html renders the traces this run writes, and it writes none (--no-traces, or a run \
             that is not the default without --traces DIR)"
                .into(),
        );
    };
    if let (Ok(h), Ok(t)) = (std::fs::canonicalize(html), std::fs::canonicalize(traces)) {
        if h.starts_with(&t) {
            return Err(format!(
                "refusing to write pages into the trace directory {} (it keeps only .itf.json and \
                 .md files); choose another --html DIR",
                traces.display()
            ));
        }
    }
    Ok(())
}

/// Writes the HTML page of every trace file (`*.itf.json`) in the run directories `dirs`
/// below `root` to the same relative path below `html`, with `.html` for `.itf.json`; creates
/// the `<scenario>/<run>` directories below `html`. Returns the number of pages.
///
/// # Errors
/// A message naming the trace that does not read back or the page that cannot be written.
pub fn write_pages(root: &Path, dirs: &[PathBuf], html: &Path) -> Result<usize, String> {
    let mut n = 0;
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.to_string_lossy().ends_with(EXTENSIONS[0]))
            .collect();
        files.sort();
        for f in files {
            let text = read_input(&f, "a trace", TRACE_CAP)?;
            let loaded = load(&text).map_err(|e| format!("{}: {e}", f.display()))?;
            let rel = f
                .strip_prefix(root)
                .unwrap_or(&f)
                .to_string_lossy()
                .into_owned();
            let out = html.join(format!("{}.html", rel.trim_end_matches(EXTENSIONS[0])));
            write_atomic(&out, &page(&loaded))?;
            n += 1;
        }
    }
    Ok(n)
}
