//! Writing output files: every page and trace comlife writes goes through [`write_atomic`], so a
//! failed write leaves nothing half-written.

use std::io::Write;
use std::path::Path;

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
