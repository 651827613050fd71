//! Writing output files: every page and trace comlife writes goes through [`write_atomic`], so a
//! failed write leaves nothing half-written, and every write follows the policy of
//! [`crate::fs_policy::output_target`] (regular or new files only; a symlink is written through).

use crate::fs_policy::output_target;
use std::io::Write;
use std::path::Path;

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
    result.map_err(fail)
}
