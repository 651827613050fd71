//! Issue 20 §1: comlife never harms the machine or the user's files. It writes only regular or
//! new files (a symlink is written through, never replaced), reads only regular files of a
//! bounded size, bounds --threads, checks its output folders before it runs, and removes its
//! temporary files when interrupted.

mod common;
use common::{comlife, temp_dir};

use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A trace file of the repository, copied to `dir`.
fn trace_in(dir: &Path) -> PathBuf {
    let input = dir.join("t.itf.json");
    let src = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/traces/inproc/baseline/no-unload-while-live.itf.json"
    );
    std::fs::copy(src, &input).unwrap();
    input
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(ok.success());
}

fn is_fifo(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}

/// Runs comlife with `args`, killing it after `limit` (a blocked read would otherwise hang the
/// test): exit status, stderr.
fn comlife_within(args: &[&str], limit: Duration) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_comlife"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("comlife runs");
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            return (
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
        }
        if start.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            return (None, "did not finish".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every file below `dir`, relative to it.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return v;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            v.extend(files(&p));
        } else {
            v.push(p);
        }
    }
    v
}

/// `trace html|md -o PATH` refuses a device, a FIFO and a directory (exit 2, naming the path and
/// what it is) and leaves them as they were; it writes through a symlink to a regular file and
/// refuses a symlink to nothing, and the link stays a link either way.
#[test]
fn trace_output_is_only_a_regular_or_new_file() {
    let dir = temp_dir("trace-out");
    let input = trace_in(&dir);
    let inp = input.to_str().unwrap();

    let (code, _, err) = comlife(&["trace", "html", inp, "-o", "/dev/null"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("/dev/null") && err.contains("a character device"),
        "{err}"
    );
    assert!(std::fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());

    let fifo = dir.join("fifo");
    mkfifo(&fifo);
    let (code, err) = comlife_within(
        &["trace", "md", inp, "-o", fifo.to_str().unwrap()],
        Duration::from_secs(20),
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("fifo") && err.contains("a FIFO"), "{err}");
    assert!(is_fifo(&fifo), "the FIFO is still a FIFO");

    let sub = dir.join("sub");
    std::fs::create_dir(&sub).unwrap();
    let (code, _, err) = comlife(&["trace", "html", inp, "-o", sub.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("a directory"), "{err}");
    assert!(sub.is_dir());

    // A symlink to a regular file is written through.
    let target = dir.join("target.html");
    std::fs::write(&target, "old").unwrap();
    let link = dir.join("link.html");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let (code, _, err) = comlife(&["trace", "html", inp, "-o", link.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::read_to_string(&target).unwrap().contains("<html"));

    // A symlink to a FIFO or to nothing is refused, and stays.
    for (name, to) in [
        ("to-fifo.md", fifo.clone()),
        ("dangling.md", dir.join("nothing")),
    ] {
        let link = dir.join(name);
        std::os::unix::fs::symlink(&to, &link).unwrap();
        let (code, err) = comlife_within(
            &["trace", "md", inp, "-o", link.to_str().unwrap()],
            Duration::from_secs(20),
        );
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains("a symlink to"), "{err}");
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
    }
    assert!(is_fifo(&fifo) && !dir.join("nothing").exists());
}

/// `check --traces DIR` does not replace a FIFO where a trace file goes: exit 2, the FIFO stays.
#[test]
fn trace_files_are_only_regular_or_new_files() {
    let dir = temp_dir("traces-fifo");
    let traces = dir.join("traces");
    let args = [
        "check",
        "--scenario",
        "inproc",
        "--traces",
        traces.to_str().unwrap(),
    ];
    let (code, _, err) = comlife(&args);
    assert_eq!(code, 0, "{err}");
    let md = files(&traces)
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "md"))
        .expect("a trace");
    std::fs::remove_file(&md).unwrap();
    mkfifo(&md);
    let (code, err) = comlife_within(&args, Duration::from_secs(60));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("a FIFO"), "{err}");
    assert!(is_fifo(&md));
}

/// `check FILE`, `replay FILE` and `trace html FILE` read only regular files (a device or a
/// FIFO is refused at once, not read without end or waited on), of a bounded size.
#[test]
fn inputs_are_bounded_regular_files() {
    let dir = temp_dir("inputs");
    let zero = dir.join("zero.toml");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let fifo = dir.join("fifo.toml");
    mkfifo(&fifo);
    for path in [&zero, &fifo] {
        let p = path.to_str().unwrap();
        for args in [
            &["check", p][..],
            &["replay", p],
            &["trace", "html", p],
            &["explore", p],
        ] {
            let (code, err) = comlife_within(args, Duration::from_secs(20));
            assert_eq!(code, Some(2), "{args:?}: {err}");
            assert!(
                err.contains("not a regular file") && err.contains(p),
                "{args:?}: {err}"
            );
        }
    }
    assert!(is_fifo(&fifo));

    let big = dir.join("big.toml");
    std::fs::write(&big, "#".repeat((1 << 20) + 1)).unwrap();
    let (code, _, err) = comlife(&["check", big.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("larger than 1 MiB"), "{err}");
}

/// `--threads` is bounded (1 to 4 per core), with a message naming the range.
#[test]
fn threads_are_bounded() {
    for args in [
        &["check", "--scenario", "inproc", "--threads", "5000"][..],
        &["bench", "--scenario", "inproc", "--threads", "5000"],
    ] {
        let (code, out, err) = comlife(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty());
        assert!(err.contains("--threads 5000: must be from 1 to "), "{err}");
    }
}

/// Output folders that cannot be written are refused before anything runs (exit 2, nothing
/// written): a path under a regular file, a name longer than 255 bytes, a regular file named
/// `traces` beside a description. (As root, permission bits do not stop writes, so these are
/// the cases a test can make.)
#[test]
fn output_folders_are_checked_before_the_run() {
    let dir = temp_dir("folders");
    let file = dir.join("somefile");
    std::fs::write(&file, "x").unwrap();
    let traces = dir.join("traces-out");
    let long = dir.join("x".repeat(300));
    let under_file = file.join("sub");
    for (args, says) in [
        (
            vec!["--traces", under_file.to_str().unwrap()],
            "is a regular file, not a directory",
        ),
        (vec!["--traces", long.to_str().unwrap()], "longer than"),
        (
            vec![
                "--traces",
                traces.to_str().unwrap(),
                "--html",
                under_file.to_str().unwrap(),
            ],
            "--html",
        ),
    ] {
        let all = [&["check", "--scenario", "inproc"][..], &args].concat();
        let (code, out, err) = comlife(&all);
        assert_eq!(code, 2, "{all:?}: {err}");
        assert!(out.is_empty(), "nothing ran: {out}");
        assert!(err.contains(says), "{all:?}: {err}");
        assert!(!traces.exists() && !long.exists());
    }

    // A description whose `traces` beside it is a regular file.
    let desc = dir.join("d.toml");
    let (code, text, _) = comlife(&["new", "--from", "inproc"]);
    assert_eq!(code, 0);
    std::fs::write(&desc, text).unwrap();
    std::fs::write(dir.join("traces"), "x").unwrap();
    let (code, out, err) = comlife(&["check", desc.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "nothing ran: {out}");
    assert!(
        err.contains("beside") && err.contains("not a directory"),
        "{err}"
    );
}

/// An interrupted `check` leaves no temporary files among its traces, and ends by the signal.
#[test]
fn an_interrupt_leaves_no_temporary_files() {
    use std::os::unix::process::ExitStatusExt;
    let dir = temp_dir("sigint");
    for delay in [150, 400, 900] {
        let traces = dir.join(format!("t{delay}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_comlife"))
            .args([
                "check",
                "--clients",
                "1",
                "--traces",
                traces.to_str().unwrap(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        let killed = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = child.wait().unwrap();
        if status.code() == Some(0) {
            continue; // finished before the interrupt
        }
        assert_eq!(status.signal(), Some(2), "ended by SIGINT: {status:?}");
        let temps: Vec<_> = files(&traces)
            .into_iter()
            .filter(|p| p.to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(temps.is_empty(), "{temps:?}");
    }
}
