//! What comlife may read and write, in one place (issue 20 §1):
//!
//! - **Writing** ([`output_target`], used by [`crate::output::write_atomic`], through which every
//!   file comlife writes goes: traces, `--html` pages, `trace html|md -o`): only to a regular file
//!   or to a new one. A device, FIFO, socket or directory at the path is refused. A symlink is
//!   written through: when it points to a regular file, that file is replaced (atomically, in
//!   its own directory) and the link stays a link; a link to anything else, or to nothing, is
//!   refused.
//! - **Output folders** ([`check_output_dir`]): checked before a run explores anything, so a
//!   folder that cannot be made or written fails at once (exit 2, nothing written).
//! - **Reading** ([`read_input`]): only a regular file (after following symlinks), of at most
//!   [`DESCRIPTION_CAP`] for a server description, [`TRACE_CAP`] for an ITF trace and
//!   [`REPORT_CAP`] for a report that `merge` reads. The file
//!   is opened without blocking, so a FIFO is refused instead of waited on.

use std::fs::{FileType, Metadata};
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// The largest server description read: 1 MiB (a description is a few KB).
pub const DESCRIPTION_CAP: u64 = 1 << 20;
/// The largest ITF trace read by `replay` and `trace`: 64 MiB (the longest trace comlife writes
/// is well under 1 MiB).
pub const TRACE_CAP: u64 = 64 << 20;
/// The largest `check --json` report read by `merge`: 1 MiB (a report is a few KB).
pub const REPORT_CAP: u64 = 1 << 20;
/// The longest name of one path component on the file systems comlife runs on (NAME_MAX).
const NAME_MAX: usize = 255;

/// What a file of type `t` is, in words ("a directory", "a FIFO", ...).
fn kind(t: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symlink"
    } else if t.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// The file to write for the output path `path`: `path` itself when nothing is there or a
/// regular file is; the symlink's target when `path` is a symlink to a regular file (so the link
/// is written through, never replaced).
///
/// # Errors
/// A message naming `path` and what it is, when it is a device, FIFO, socket or directory, or a
/// symlink to one of those or to nothing.
pub fn output_target(path: &Path) -> Result<PathBuf, String> {
    let refuse = |what: &str| {
        Err(format!(
            "refusing to write {}: it is {what} (comlife writes only regular files, or new ones)",
            path.display()
        ))
    };
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(path.to_path_buf()),
        Err(e) => return Err(format!("cannot write {}: {e}", path.display())),
    };
    if meta.file_type().is_file() {
        return Ok(path.to_path_buf());
    }
    if !meta.file_type().is_symlink() {
        return refuse(kind(meta.file_type()));
    }
    match std::fs::metadata(path) {
        Ok(target) if target.is_file() => {
            std::fs::canonicalize(path).map_err(|e| format!("cannot write {}: {e}", path.display()))
        }
        Ok(target) => refuse(&format!("a symlink to {}", kind(target.file_type()))),
        Err(_) => refuse("a symlink to nothing"),
    }
}

/// Checks, before a run, that the directory `dir` can be written into: every component of its
/// name fits (at most 255 bytes), the nearest part of it that exists is a directory (the rest is
/// created when the first file is written), and that directory is writable. `origin` says in
/// the message where the directory comes from ("--html DIR", "the trace directory beside
/// FILE").
///
/// # Errors
/// A message naming the directory and what is wrong with it.
pub fn check_output_dir(origin: &str, dir: &Path) -> Result<(), String> {
    let bad = |why: String| {
        Err(format!(
            "cannot write into {} ({origin}): {why}; nothing was run",
            shorten(dir)
        ))
    };
    for c in dir.components() {
        if let Component::Normal(n) = c {
            if n.len() > NAME_MAX {
                return bad(format!(
                    "a name of {} bytes, longer than the {NAME_MAX} bytes a file name may have",
                    n.len()
                ));
            }
        }
    }
    let mut p: &Path = dir;
    loop {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => break,
            Ok(m) => {
                return bad(format!(
                    "{} is {}, not a directory",
                    shorten(p),
                    kind(m.file_type())
                ))
            }
            // Missing, or below something that is not a directory: look at the parent.
            Err(e)
                if e.kind() == std::io::ErrorKind::NotFound
                    || e.kind() == std::io::ErrorKind::NotADirectory =>
            {
                if std::fs::symlink_metadata(p).is_ok() {
                    return bad(format!("{} is a symlink to nothing", shorten(p)));
                }
                p = match p.parent() {
                    Some(q) if !q.as_os_str().is_empty() => q,
                    _ => Path::new("."),
                };
            }
            Err(e) => return bad(format!("{}: {e}", shorten(p))),
        }
    }
    writable(p).or_else(|e| bad(format!("{} is not writable: {e}", shorten(p))))
}

/// Whether the process may create files in the directory `dir` (`access(2)` with W_OK | X_OK;
/// this also reports a read-only file system, which permission bits do not).
fn writable(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(dir.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
        // SAFETY: `c` is a valid NUL-terminated string that outlives the call.
        if unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// A path for a message: at most 200 characters, the middle elided.
fn shorten(p: &Path) -> String {
    let s = p.display().to_string();
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 200 {
        return s;
    }
    let head: String = chars[..100].iter().collect();
    let tail: String = chars[chars.len() - 80..].iter().collect();
    format!("{head}…{tail}")
}

/// Reads the input file `path` (a server description, or an ITF trace: `what` says which in
/// messages) as UTF-8 text of at most `cap` bytes. Anything that is not a regular file after
/// following symlinks is refused without waiting on it (the file is opened non-blocking and
/// checked on the open handle).
///
/// # Errors
/// A message naming the file: cannot be opened, not a regular file (and what it is), larger
/// than `cap`, or not UTF-8 (`FILE:LINE:COLUMN:` of the first byte that is not).
pub fn read_input(path: &Path, what: &str, cap: u64) -> Result<String, String> {
    let name = path.display();
    let mut open = std::fs::OpenOptions::new();
    open.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.custom_flags(libc::O_NONBLOCK);
    }
    let file = open
        .open(path)
        .map_err(|e| format!("cannot read {name}: {e}"))?;
    let meta: Metadata = file
        .metadata()
        .map_err(|e| format!("cannot read {name}: {e}"))?;
    if !meta.is_file() {
        return Err(format!(
            "refusing to read {name}: it is {}, not a regular file ({what} must be a file)",
            kind(meta.file_type())
        ));
    }
    let too_large = || {
        format!(
            "refusing to read {name}: larger than {} ({what} is at most that)",
            mib(cap)
        )
    };
    if meta.len() > cap {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {name}: {e}"))?;
    if bytes.len() as u64 > cap {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let good = e.utf8_error().valid_up_to();
        let (line, column) = line_column(&bytes[..good]);
        format!(
            "{name}:{line}:{column}: not UTF-8 text: byte 0x{:02x} is not valid UTF-8 ({what} \
             must be saved as UTF-8)",
            bytes[good]
        )
    })
}

/// The 1-based line and column (in characters) just after `valid`, which is UTF-8.
fn line_column(valid: &[u8]) -> (usize, usize) {
    let text = std::str::from_utf8(valid).expect("the valid prefix");
    let line = text.matches('\n').count() + 1;
    let line_start = text.rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..].chars().count() + 1)
}

/// `cap` bytes in words ("1 MiB").
fn mib(cap: u64) -> String {
    format!("{} MiB", cap >> 20)
}
