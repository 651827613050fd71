//! The reproducer of an `inproc` trace (harness/dll.c and inproc.c): the trace's steps become
//! the driver's script one for one (`THREAD:OP`, `THREAD:Sweep`, `DelayPasses`), which the
//! driver runs one at a time in the trace's order, the finest schedule there is; the DLL's
//! schedule point `release-epilogue` splits an object's final Release into the model's two
//! steps. What the run must show comes from the trace's states: whether each sweep frees the
//! DLL, and whether a thread is left inside the DLL's code when it is freed (its return then
//! runs into unmapped code).

use super::table::{self, UNLOAD_DELAY_MS};
use super::{refuse, Files, Refusal};
use comlife::trace::replay::Loaded;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;

const DLL_C: &str = include_str!("../../harness/dll.c");
const INPROC_C: &str = include_str!("../../harness/inproc.c");
const INPROC_H: &str = include_str!("../../harness/inproc.h");
const EVT_H: &str = include_str!("../../harness/evt.h");

/// The driver's name for a model thread.
fn thread(tag: &str) -> Option<&'static str> {
    Some(match tag {
        "Sta" => "sta",
        "Mta1" => "mta1",
        "Mta2" => "mta2",
        _ => return None,
    })
}

/// Plans the reproducer of an `inproc` trace. `switches` are the table's for the run:
/// `delay=MS` (the driver's dwUnloadDelay) and HARNESS_DLL words.
pub fn plan(file: &Path, loaded: &Loaded, switches: Vec<String>) -> Result<Files, Refusal> {
    let states = loaded.states();
    let meta = &loaded.header.meta;
    let mut delay = UNLOAD_DELAY_MS;
    let mut dll_words: Vec<String> = Vec::new();
    for s in &switches {
        match s.strip_prefix("delay=") {
            Some(ms) => delay = ms.parse().unwrap_or(UNLOAD_DELAY_MS),
            None => dll_words.push(s.clone()),
        }
    }
    let unloads = |k: usize| -> u64 {
        states[k]["clientProcess"]["value"]["dll"]["unloads"]["#bigint"]
            .as_str()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let mut script: Vec<String> = Vec::new();
    // Expectations: (step, op, what, why).
    let mut expected: Vec<(usize, String, &'static str, String)> = Vec::new();
    for (k, s) in states.iter().enumerate().skip(1) {
        let a: Value = s["#meta"]["actionItf"]
            .as_str()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or(Value::Null);
        let step = &a["value"]["step"]["value"];
        let arg = match step["tag"].as_str() {
            Some("Do") => {
                let t = step["value"]["#tup"][0]["tag"].as_str().and_then(thread);
                let op = step["value"]["#tup"][1]["tag"].as_str();
                t.zip(op).map(|(t, op)| format!("{t}:{op}"))
            }
            Some("Sweep") => step["value"]["tag"]
                .as_str()
                .and_then(thread)
                .map(|t| format!("{t}:Sweep")),
            Some("DelayPasses") => Some("DelayPasses".to_string()),
            _ => None,
        };
        let Some(arg) = arg else {
            return Err(refuse(format!(
                "{}: step {k} is not a step of the inproc client process the driver knows",
                file.display()
            )));
        };
        if arg.ends_with(":Sweep") {
            let freed = unloads(k) > unloads(k - 1);
            expected.push((
                script.len() + 1,
                "Sweep".into(),
                if freed { "freed" } else { "kept" },
                format!(
                    "trace step {k}: the sweep {} the DLL",
                    if freed { "frees" } else { "does not free" }
                ),
            ));
        }
        script.push(arg);
    }
    let last = &states[states.len() - 1]["clientProcess"]["value"];
    let freed_in_code = last["dll"]["entries"]["#tup"]
        .as_array()
        .is_some_and(|es| es.iter().all(|e| e["tag"] == "None"))
        && last["threads"]["#tup"]
            .as_array()
            .is_some_and(|ts| ts.iter().any(|t| t["in_dll"] == true));
    if freed_in_code {
        expected.push((
            0,
            "Return".into(),
            "crash",
            "after the trace: a thread still inside the DLL's Release when it was freed returns into unloaded code (no-call-into-unloaded-code)".into(),
        ));
    }
    Ok(render(
        file, loaded, meta, &script, delay, &dll_words, &expected,
    ))
}

fn render(
    file: &Path,
    loaded: &Loaded,
    meta: &comlife::trace::meta::TraceMeta,
    script: &[String],
    delay: u32,
    dll_words: &[String],
    expected: &[(usize, String, &'static str, String)],
) -> Files {
    let clsid = "{6C0F3A4E-1D2B-4C5A-9E7F-0A1B2C3D4E61}";
    let mut files: Files = vec![
        ("dll.c".into(), DLL_C.into(), false),
        ("inproc.c".into(), INPROC_C.into(), false),
        ("inproc.h".into(), INPROC_H.into(), false),
        ("evt.h".into(), EVT_H.into(), false),
        (
            "build-mingw.sh".into(),
            "#!/bin/sh\n# Builds comlife_dll.dll and inproc.exe with mingw-w64 (plain C, ole32 and uuid, no MIDL).\nset -eu\ncd \"$(dirname \"$0\")\"\nmkdir -p bin\nx86_64-w64-mingw32-gcc -O2 -Wall -shared -o bin/comlife_dll.dll dll.c -lole32 -luuid\nx86_64-w64-mingw32-gcc -O2 -Wall -o bin/inproc.exe inproc.c -lole32 -luuid\necho \"built bin/comlife_dll.dll bin/inproc.exe\"\n".into(),
            true,
        ),
        (
            "build-msvc.cmd".into(),
            "@rem Builds comlife_dll.dll and inproc.exe with MSVC's cl (a Developer Command Prompt). Untested: comlife's\r\n@rem machine has no cl; the sources are plain C that mingw-w64 builds.\r\nmkdir bin 2>nul & cl /nologo /W3 /LD /Febin\\comlife_dll.dll dll.c ole32.lib uuid.lib && cl /nologo /W3 /Febin\\inproc.exe inproc.c ole32.lib uuid.lib\r\n".into(),
            false,
        ),
        (
            "register.sh".into(),
            format!("#!/bin/sh\n# Registers bin/comlife_dll.dll as the InprocServer32 (ThreadingModel=Both) of the harness DLL's\n# class in the Wine prefix $WINEPREFIX.\nset -eu\ncd \"$(dirname \"$0\")\"\nWINE=\"$(command -v wine64 || echo /usr/lib/wine/wine64)\"\ndll=\"Z:$(pwd | sed 's|/|\\\\|g')\\\\bin\\\\comlife_dll.dll\"\nkey='HKLM\\Software\\Classes\\CLSID\\{clsid}\\InprocServer32'\ntimeout 60 \"$WINE\" reg add \"$key\" /ve /d \"$dll\" /f\ntimeout 60 \"$WINE\" reg add \"$key\" /v ThreadingModel /d Both /f\n"),
            true,
        ),
        (
            "register.reg".into(),
            format!("Windows Registry Editor Version 5.00\r\n\r\n; Edit the path to where bin\\comlife_dll.dll is, then: reg import register.reg (as administrator).\r\n[HKEY_LOCAL_MACHINE\\Software\\Classes\\CLSID\\{clsid}\\InprocServer32]\r\n@=\"C:\\\\comlife-repro\\\\bin\\\\comlife_dll.dll\"\r\n\"ThreadingModel\"=\"Both\"\r\n"),
            false,
        ),
    ];
    let mut exp = String::from(
        "# driver-step op expected  -- where the trace says it (freed/kept: whether the sweep frees the DLL; crash: a return into unloaded code)\n",
    );
    for (k, op, what, why) in expected {
        let _ = writeln!(exp, "{k} {op} {what} -- {why}");
    }
    files.push(("expected.txt".into(), exp, false));
    let args = script.join(" ");
    let env = if dll_words.is_empty() {
        String::new()
    } else {
        format!("export HARNESS_DLL={}\n", dll_words.join(","))
    };
    files.push(("run.sh".into(), run_sh(&args, delay, &env), true));
    // README
    let note = table::finding(
        &meta.scenario,
        &meta.property,
        &loaded.header.cfg.run_label(),
    );
    let mut r = String::new();
    let _ = writeln!(
        r,
        "# Reproducer: `{}` in {} ({})\n",
        meta.property,
        meta.scenario,
        loaded.header.cfg.run_label()
    );
    let _ = writeln!(
        r,
        "Written by `comlife repro {}` from the trace's {} steps. {}\n",
        file.display(),
        meta.steps,
        meta.description
    );
    if let Some(why) = &meta.why {
        let _ = writeln!(r, "The trace's last state: {why}.\n");
    }
    let _ = writeln!(r, "Rules: {}. Sources: {}.\n", meta.rules, meta.sources);
    if let Some(f) = note {
        let _ = writeln!(
            r,
            "**{}** (comlife's spec/findings.md). On Windows: {}.\n",
            f.id, f.windows
        );
    }
    let _ = writeln!(
        r,
        "## Files\n\n| file | what |\n|---|---|\n| `dll.c`, `inproc.c`, `inproc.h`, `evt.h` | comlife's harness programs (harness/ in comlife), plain C, no MIDL: the in-process DLL and the client process's driver |\n| `build-mingw.sh` | builds `bin/comlife_dll.dll`, `bin/inproc.exe` with mingw-w64 |\n| `build-msvc.cmd` | the same with MSVC's `cl`, one command line: **untested** (comlife's machine has no cl) |\n| `register.sh` | registers the DLL in `$WINEPREFIX` (InprocServer32, ThreadingModel=Both) |\n| `register.reg` | the same for Windows (edit the path, `reg import`) |\n| `run.sh` | runs it on Wine and compares the sweeps and the end with `expected.txt` (exit 0: all agree) |\n| `expected.txt` | what the trace says each sweep does, and whether a return runs into unloaded code |\n"
    );
    let _ = writeln!(
        r,
        "## The schedule\n\nThe trace's steps, one for one, run by the driver one at a time in the trace's order (each on its\nthread; `DelayPasses` sleeps dwUnloadDelay + 250 ms; a final Release stops at the DLL's schedule\npoint `release-epilogue` until its `ReleaseReturn` step):\n\n```\nbin/inproc.exe --delay {delay} {args}\n```\n\nCoFreeUnusedLibrariesEx is called with dwUnloadDelay = {delay} ms (the model's sweeps use\nINFINITE, the system default: 10 minutes for a Both-threaded DLL in the MTA, too long to run).{}\n",
        if dll_words.is_empty() { String::new() } else { format!(" The DLL runs with HARNESS_DLL={}.", dll_words.join(",")) }
    );
    let _ = writeln!(r, "## What to expect on Windows (the trace)\n");
    for (k, op, what, why) in expected {
        let _ = writeln!(r, "- driver step {k}, {op}: {what} — {why}");
    }
    let _ = writeln!(
        r,
        "\nOn Windows: build with `build-msvc.cmd` (or mingw-w64), import `register.reg` with the path\nedited, set `HARNESS_LOGDIR` to a folder, run the command line above, and read `inproc-<pid>.log`:\n`dll-freed` between a sweep's `step n=K` and `done step=K` lines is that sweep freeing the DLL;\n`crash code=0xc0000005` is a return into unloaded code.\n"
    );
    let _ = writeln!(
        r,
        "## What Wine does instead\n\nWine (8.0) sweeps with its candidate list (dlls/combase/apartment.c\n`apartment_freeunusedlibraries`: each sweep asks DllCanUnloadNow; on S_OK it frees the entry if\nGetTickCount() is past its mark, else marks it GetTickCount() + dwUnloadDelay; on S_FALSE it\nclears the mark; `apartment_getclassobject` finds the loaded entry and leaves its mark alone, so\nuse does not revive a candidate). comlife models it as the `wine` runtime's (and the\n`wine-candidate-list` variant's) CoFreeUnusedLibrariesEx; docs/wine.md case i records it.\n\nFor this trace ({}): {}.\n",
        note.map_or("no finding", |f| f.id),
        note.map_or("Wine's candidate list above is what differs from Microsoft's text", |f| f.wine)
    );
    files.push(("README.md".into(), r, false));
    files
}

/// run.sh: build if needed, a fresh prefix, register, the driver, compare with expected.txt.
fn run_sh(args: &str, delay: u32, env: &str) -> String {
    let prologue = super::wine_prologue("comlife_dll.dll", "inproc.exe");
    format!(
        r#"#!/usr/bin/env bash
# Runs the reproducer on Wine: builds (build-mingw.sh) when bin/ is missing, makes a fresh
# WINEPREFIX in a temporary directory, registers the DLL (register.sh), runs the driver with the
# trace's steps (README.md), then compares each sweep and the end with expected.txt.
# Exit 0 when every expectation agrees with the trace, 1 when one differs, 2 when Wine or
# mingw-w64 is missing. Every Wine command runs under timeout; the prefix's wineserver is ended
# on exit. REPRO_KEEP=1 keeps the temporary directory.
{prologue}{env}./register.sh >"$LOGS/reg.out" 2>&1
timeout 60 "$WINE" bin/inproc.exe --delay {delay} {args} >"$LOGS/inproc.out" 2>&1 || true
timeout 60 "$WINESERVER" -w || echo "run.sh: a process of the prefix was still running after 60 s"
LOG="$(cat "$LOGS"/inproc-*.log | grep '^EVT ')"
echo "-- event log"
echo "$LOG" | sed 's/^/  /'
echo "-- the trace's expectations (expected.txt) against the run"
differ=0
while read -r step op what rest; do
    case "$step" in '#'*|'') continue ;; esac
    if [ "$op" = Return ]; then
        if echo "$LOG" | grep -q 'prog=inproc crash code=0xc0000005'; then got=crash; else got=no-crash; fi
    else
        got="$(echo "$LOG" | awk -v k="$step" '$0 ~ ("step n=" k " ") {{ on = 1 }} on && /prog=dll dll-freed/ {{ f = 1 }} $0 ~ ("done step=" k " ") {{ on = 0 }} END {{ print (f ? "freed" : "kept") }}')"
    fi
    if [ "$got" = "$what" ]; then
        echo "  agrees   driver step $step $op: $what"
    else
        echo "  DIFFERS  driver step $step $op: the trace says $what, the run observed $got"
        differ=1
    fi
done <expected.txt
if [ "$differ" = 0 ]; then echo "run.sh: every expectation agrees with the trace"; else echo "run.sh: some expectation differs from the trace"; fi
exit "$differ"
"#
    )
}
