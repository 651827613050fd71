//! `comlife trace html FILE [-o OUT]` and `comlife trace md FILE [-o OUT]`: a trace file as
//! one self-contained HTML page (the viewer of model/trace/html.rs with the trace inlined: no
//! network access) or as the Markdown page that `check` writes beside it. The trace is
//! replayed first: one that does not replay against the current model is not rendered (exit 1).

use crate::fs_policy::{read_input, TRACE_CAP};
use crate::output::write_atomic;
use comlife::trace::html::page;
use comlife::trace::narrative::markdown;
use comlife::trace::replay::load;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Which page `comlife trace` makes.
#[derive(Clone, Copy)]
pub enum Format {
    /// The HTML viewer.
    Html,
    /// The Markdown page.
    Markdown,
}

/// The default output of `comlife trace`: FILE with `.itf.json` (or `.json`) replaced by
/// `.html` or `.md`.
fn default_out(file: &Path, ext: &str) -> PathBuf {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".itf.json")
        .or_else(|| name.strip_suffix(".json"))
        .unwrap_or(&name);
    file.with_file_name(format!("{stem}.{ext}"))
}

/// Refuses an output that would overwrite the input trace, or that lies in a directory that
/// does not exist (`comlife trace` creates no directories).
///
/// # Errors
/// A message naming the path and what is wrong with it.
fn check_output(input: &Path, out: &Path) -> Result<(), String> {
    let same = match (std::fs::canonicalize(input), std::fs::canonicalize(out)) {
        (Ok(a), Ok(b)) => a == b,
        _ => input == out,
    };
    if same {
        return Err(format!(
            "refusing to overwrite the input trace {} with the page; choose another -o",
            out.display()
        ));
    }
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(format!(
            "cannot write {}: directory {} does not exist (comlife trace creates no directories)",
            out.display(),
            dir.display()
        ));
    }
    Ok(())
}

/// Runs `comlife trace html|md FILE [-o OUT]`: exit 0 when the page is written, 2 when FILE
/// cannot be read or is not a comlife ITF trace (nothing is written then).
pub fn run(format: Format, file: &Path, out: Option<&Path>) -> ExitCode {
    let text = match read_input(file, "a trace", TRACE_CAP) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("comlife: {e}");
            return ExitCode::from(2);
        }
    };
    let loaded = match load(&text) {
        Ok(l) => l,
        Err(m) => {
            eprintln!("comlife: {}: not a comlife ITF trace: {m}", file.display());
            return ExitCode::from(2);
        }
    };
    // A page says "violated" or "example" because the trace shows it: a trace that no longer
    // replays against the current model is not rendered.
    if let Err(e) = comlife::trace::replay::replay(&text) {
        eprintln!(
            "comlife: {}: does not replay against the current model, so it is not rendered: {e}",
            file.display()
        );
        return ExitCode::from(1);
    }
    let (body, ext) = match format {
        Format::Html => (page(&loaded), "html"),
        Format::Markdown => (markdown(&loaded), "md"),
    };
    let out = out.map_or_else(|| default_out(file, ext), Path::to_path_buf);
    if let Err(e) = check_output(file, &out) {
        eprintln!("comlife: {e}");
        return ExitCode::from(2);
    }
    if let Err(e) = write_atomic(&out, &body) {
        eprintln!("comlife: {e}");
        return ExitCode::from(2);
    }
    println!("{}", out.display());
    ExitCode::SUCCESS
}
