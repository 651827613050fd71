//! Writing output files: every page and trace comlife writes goes through [`write_atomic`], so a
//! failed write leaves nothing half-written, and every write follows the policy of
//! [`crate::fs_policy::output_target`] (regular or new files only; a symlink is written through).
//!
//! The temporary files being written are registered, so an interrupt (SIGINT, SIGTERM, SIGHUP)
//! removes them before the process ends ([`remove_temp_files_and_die`], installed by
//! [`remove_temp_files_on_interrupt`]).

use crate::fs_policy::output_target;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The temporary files being written now.
static TEMP_FILES: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// Writes `body` to `path` atomically: a temporary file in the same directory, then a rename.
/// Creates missing parent directories. A symlink at `path` to a regular file is written through
/// (its target is replaced, the link stays); anything but a regular file or nothing at `path`
/// is refused.
///
/// # Errors
/// A message naming the path: refused by the policy, or the I/O error (the temporary file is
/// removed then).
pub fn write_atomic(path: &Path, body: &str) -> Result<(), String> {
    let target = output_target(path)?;
    let fail = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    TEMP_FILES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(tmp.clone());
    let result = (|| {
        // A leftover of an earlier process with this id is replaced; whatever is at `tmp` is
        // never opened through (create_new does not follow a symlink).
        let _ = std::fs::remove_file(&tmp);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(body.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    TEMP_FILES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&tmp);
    result.map_err(fail)
}

/// Removes every temporary file being written, then ends the process by `signal` with its
/// default action (so the exit status says the process was interrupted). The registry stays
/// locked, so no writer starts another temporary file meanwhile.
#[cfg(unix)]
fn remove_temp_files_and_die(signal: libc::c_int) -> ! {
    let files = TEMP_FILES.lock().unwrap_or_else(|e| e.into_inner());
    for f in files.iter() {
        let _ = std::fs::remove_file(f);
    }
    // SAFETY: restoring the default action, unblocking and raising a signal are plain libc
    // calls on valid arguments.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, signal);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(signal);
    }
    std::process::exit(128 + signal);
}

/// Makes SIGINT, SIGTERM and SIGHUP remove the temporary files being written before the
/// process ends: blocks them in this thread (and so in every thread started after it; call it
/// first in main) and waits for them in a thread of its own. Child processes start with no
/// signal blocked (std resets the mask).
pub fn remove_temp_files_on_interrupt() {
    #[cfg(unix)]
    // SAFETY: sigset_t is plain data initialised by sigemptyset; the calls get valid pointers.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaddset(&mut set, s);
        }
        if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            return;
        }
        let waiting = std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                let mut sig: libc::c_int = 0;
                loop {
                    if libc::sigwait(&set, &mut sig) == 0 {
                        remove_temp_files_and_die(sig);
                    }
                }
            });
        if waiting.is_err() {
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        }
    }
}
