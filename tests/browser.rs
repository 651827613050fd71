//! The HTML trace viewer in a real headless browser (Debian's chromium).
//!
//! The page, opened with `#autotest`, drives itself with real click and keydown events and
//! writes what it observed into `#autotest-result`; chromium's `--dump-dom` hands the DOM
//! back. The pages are not checked in: each test renders the page of a checked-in trace with
//! `comlife trace html` (or `check --html`) into a temporary directory. The browser window is
//! 1400 px wide. The tests are `#[ignore]`d with the reason, so a plain `cargo test` reports them as
//! ignored rather than passed; `.ci/run` runs them with `--include-ignored` after installing
//! chromium, and a run that includes them fails when chromium is missing.

mod common;
use common::temp_dir;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The chromium binary: $CHROMIUM, /usr/bin/chromium, or chromium / chromium-browser on PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM").map(PathBuf::from) {
        if p.is_file() {
            return Some(p);
        }
    }
    let fixed = Path::new("/usr/bin/chromium");
    if fixed.is_file() {
        return Some(fixed.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| [d.join("chromium"), d.join("chromium-browser")])
        .find(|p| p.is_file())
}

/// The browser; a run that includes these tests without chromium is an error.
fn browser_or_skip(test: &str) -> Option<PathBuf> {
    match chromium() {
        Some(b) => Some(b),
        None => panic!(
            "{test}: chromium is missing: install it (apt-get install -y chromium) or leave the ignored browser tests out"
        ),
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// Loads `page` with `#autotest` in headless chromium and returns what the page observed.
fn autotest(browser: &Path, page: &Path, name: &str) -> Value {
    let url = format!("file://{}#autotest", page.canonicalize().unwrap().display());
    let dom = dump_dom(browser, &url, name, &[]);
    let start = "<pre id=\"autotest-result\">";
    let i = dom.find(start).unwrap_or_else(|| {
        panic!(
            "{name}: no #autotest-result in the DOM ({} bytes)",
            dom.len()
        )
    }) + start.len();
    let j = i + dom[i..].find("</pre>").expect("closing </pre>");
    assert!(
        dom.contains("data-autotest=\"done\""),
        "{name}: the self-test did not finish"
    );
    serde_json::from_str(&unescape(&dom[i..j]))
        .unwrap_or_else(|e| panic!("{name}: autotest result is not JSON: {e}: {}", &dom[i..j]))
}

/// Loads `url` in headless chromium (with `extra` arguments) and returns the DOM it ends with.
fn dump_dom(browser: &Path, url: &str, name: &str, extra: &[&str]) -> String {
    let profile = temp_dir(&format!("chromium-{name}"));
    let out_path = profile.join("dom.html");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1400,900",
        ])
        .args(extra)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(url)
        .stdout(Stdio::from(std::fs::File::create(&out_path).unwrap()))
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("{name}: chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::fs::read_to_string(&out_path).unwrap()
}

/// The ITF document of a trace file.
fn read_itf(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Renders the page of trace `itf` with `comlife trace html` into `dir`.
fn render(itf: &Path, dir: &Path) -> PathBuf {
    let out = dir.join("trace.html");
    let st = Command::new(env!("CARGO_BIN_EXE_comlife"))
        .args(["trace", "html"])
        .arg(itf)
        .arg("-o")
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success(), "comlife trace html {}", itf.display());
    out
}

/// Checks the observations of one page against its trace.
fn check_page(browser: &Path, page: &Path, itf: &Value, name: &str) {
    let r = autotest(browser, page, name);
    let meta = &itf["#meta"];
    let states = itf["states"].as_array().unwrap();
    let n = states.len() - 1;
    let actors: Vec<&str> = itf["vars"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .filter(|v| *v != "network")
        .collect();
    assert!(n >= 3, "{name}: a trace of at least 3 steps");

    // The sequence diagram: a participant per actor, a row per state, an arrow or a box per step.
    assert_eq!(r["participants"], actors.len(), "{name}: {r}");
    assert_eq!(r["rows"], n + 1, "{name}: {r}");
    assert_eq!(
        r["arrows"].as_u64().unwrap() + r["internal"].as_u64().unwrap(),
        n as u64,
        "{name}: {r}"
    );

    // Stepping: button, arrow keys, last.
    assert_eq!(r["start"], format!("Step 0 / {n}"), "{name}");
    assert_eq!(
        r["afterClick"],
        format!("Step 1 / {n}"),
        "{name}: Forward button"
    );
    assert_eq!(r["afterKey"], format!("Step 2 / {n}"), "{name}: → key");
    assert_eq!(r["currentRow"], "2", "{name}: diagram row highlighted");
    assert_eq!(r["afterBack"], format!("Step 1 / {n}"), "{name}: ← key");
    assert_eq!(
        r["afterLast"],
        format!("Step {n} / {n}"),
        "{name}: Last button"
    );
    assert_eq!(r["nextDisabledAtEnd"], true, "{name}");

    // What changed in step 2 is highlighted: exactly the actors whose state differs.
    let differ: Vec<&str> = actors
        .iter()
        .copied()
        .filter(|a| states[1][a] != states[2][a])
        .collect();
    assert!(!differ.is_empty(), "{name}: step 2 changes an actor");
    let highlighted: Vec<&str> = r["changedAt2"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .filter(|v| *v != "network")
        .collect();
    assert_eq!(highlighted, differ, "{name}: highlighted cards: {r}");
    assert!(
        r["changedPathsAt2"].as_array().unwrap().iter().any(|p| p
            .as_str()
            .unwrap()
            .starts_with(&format!("{}:", differ[0]))
            && p.as_str().unwrap().len() > differ[0].len() + 1),
        "{name}: a changed field is highlighted: {r}"
    );
    assert!(
        !r["changeListAt2"].as_array().unwrap().is_empty(),
        "{name}: change list"
    );

    // The filter hides an actor's card and lifeline and brings them back.
    assert_eq!(r["filteredCardHidden"], true, "{name}");
    assert_eq!(r["participantsAfterFilter"], actors.len() - 1, "{name}");
    assert_eq!(r["participantsAfterUnfilter"], actors.len(), "{name}");

    // The property, its rules and their sources.
    assert_eq!(r["property"], meta["property"], "{name}");
    assert_eq!(r["expectation"], meta["expectation"], "{name}");
    let rules: Vec<String> = meta["rules"]
        .as_str()
        .unwrap()
        .split(", ")
        .map(String::from)
        .collect();
    assert_eq!(r["rules"], serde_json::json!(rules), "{name}");
    let citations = r["citations"].to_string();
    let cited: Vec<&str> = r["citations"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c.as_str()).collect())
        .unwrap_or_default();
    for f in meta["sources"].as_str().unwrap().split("; ") {
        assert!(
            cited.iter().any(|c| c.contains(f)),
            "{name}: source {f} cited: {citations}"
        );
    }
    let banner = r["finalBanner"].as_str().unwrap();
    assert!(
        banner.contains(meta["property"].as_str().unwrap()),
        "{name}: final step names the property: {banner}"
    );
    // At the last step the page says why, in the trace's own words (#meta.why).
    let why = meta["why"].as_str().expect("#meta.why");
    assert!(!why.is_empty(), "{name}: #meta.why");
    assert!(
        r["why"].as_str().unwrap().contains(why),
        "{name}: the last step says why: {r}"
    );

    // The diagram fits the 1400 px window: its box ends inside the viewport, the page does not
    // scroll sideways, and every lifeline is inside the diagram, reachable in its box (the box
    // scrolls when the diagram is wider).
    let viewport = r["viewportWidth"].as_f64().unwrap();
    assert!(
        (1300.0..=1400.0).contains(&viewport),
        "{name}: 1400 px window: {r}"
    );
    assert!(
        r["wrapRight"].as_f64().unwrap() <= viewport,
        "{name}: the diagram's box ends inside the viewport: {r}"
    );
    assert!(
        r["pageScrollWidth"].as_f64().unwrap() <= viewport,
        "{name}: the page does not scroll sideways: {r}"
    );
    // Objects are participants that start at their creation and end at their release.
    let lines = |key: &str| -> usize {
        states
            .iter()
            .map(|st| {
                st["#meta"][key]
                    .as_str()
                    .map_or(0, |t| t.lines().filter(|l| !l.is_empty()).count())
            })
            .sum()
    };
    let objects = lines("objectsCreated");
    assert_eq!(r["objects"], objects, "{name}: {r}");
    assert_eq!(r["objectEnds"], lines("objectsDestroyed"), "{name}: {r}");
    let scroll = r["wrapScrollWidth"].as_f64().unwrap();
    let rights = r["participantRights"].as_array().unwrap();
    assert_eq!(rights.len(), actors.len() + objects, "{name}: {r}");
    for x in rights {
        assert!(
            x.as_f64().unwrap() <= scroll,
            "{name}: every participant is reachable in the diagram's box: {r}"
        );
    }
    if actors.len() <= 5 && objects <= 3 {
        assert!(
            r["diagramWidth"].as_f64().unwrap() <= r["wrapClientWidth"].as_f64().unwrap() + 1.0,
            "{name}: up to five actors and three objects fit without scrolling: {r}"
        );
    }
}

/// A checked-in trace of the given expectation with at least 3 steps and the most actors and
/// objects (the widest diagram).
fn trace_for(expectation: &str) -> PathBuf {
    let mut dirs = vec![Path::new(ROOT).join("traces")];
    let mut found = Vec::new();
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.to_string_lossy().ends_with(".itf.json") {
                let itf = read_itf(&p);
                if itf["#meta"]["expectation"] == expectation
                    && itf["states"].as_array().unwrap().len() >= 4
                {
                    let vars = itf["vars"].as_array().unwrap().len();
                    let objects = itf["states"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|st| st["#meta"].get("objectsCreated").is_some())
                        .count();
                    found.push((std::cmp::Reverse((vars, objects)), p));
                }
            }
        }
    }
    found.sort();
    found
        .into_iter()
        .next()
        .map(|(_, p)| p)
        .unwrap_or_else(|| panic!("no checked-in {expectation} trace in traces/"))
}

#[test]
#[ignore = "needs Debian's chromium; .ci/run runs it with --include-ignored"]
fn viewer_shows_a_counterexample() {
    let Some(b) = browser_or_skip("viewer_shows_a_counterexample") else {
        return;
    };
    let itf = trace_for("always");
    let dir = temp_dir("always");
    let page = render(&itf, &dir);
    check_page(&b, &page, &read_itf(&itf), "always");
    assert_eq!(autotest(&b, &page, "always-verdict")["verdict"], "violated");
}

#[test]
#[ignore = "needs Debian's chromium; .ci/run runs it with --include-ignored"]
fn viewer_shows_an_example() {
    let Some(b) = browser_or_skip("viewer_shows_an_example") else {
        return;
    };
    let itf = trace_for("sometimes");
    let dir = temp_dir("sometimes");
    let page = render(&itf, &dir);
    check_page(&b, &page, &read_itf(&itf), "sometimes");
}

/// `comlife check --html DIR` writes pages that work the same, for a run's every trace.
#[test]
#[ignore = "needs Debian's chromium; .ci/run runs it with --include-ignored"]
fn check_html_pages_work_in_the_browser() {
    let Some(b) = browser_or_skip("check_html_pages_work_in_the_browser") else {
        return;
    };
    let itf = trace_for("eventually");
    let doc = read_itf(&itf);
    let meta = &doc["#meta"];
    let dir = temp_dir("check-html");
    let (traces, html) = (dir.join("traces"), dir.join("html"));
    std::fs::create_dir_all(&html).unwrap();
    let mut args = vec![
        "check".to_string(),
        "--scenario".into(),
        meta["scenario"].as_str().unwrap().into(),
    ];
    for (flag, key) in [("--disable", "disabled"), ("--enable", "enabled")] {
        for m in meta[key]
            .as_str()
            .unwrap()
            .split(", ")
            .filter(|m| !m.is_empty())
        {
            args.push(flag.into());
            args.push(m.into());
        }
    }
    args.extend(["--traces".into(), traces.display().to_string()]);
    args.extend(["--html".into(), html.display().to_string()]);
    let st = Command::new(env!("CARGO_BIN_EXE_comlife"))
        .args(&args)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "comlife {}", args.join(" "));
    let rel = itf.strip_prefix(Path::new(ROOT).join("traces")).unwrap();
    let page = html.join(rel.to_string_lossy().replace(".itf.json", ".html"));
    assert!(page.is_file(), "{} written", page.display());
    check_page(&b, &page, &doc, "eventually");
}

/// The text of the Explorer page's "Current State" box in `dom`.
fn explorer_current_state(dom: &str) -> String {
    let bind = "selectedStep().outcome || selectedStep().state\"";
    let at = dom.find(bind).expect("the Current State box");
    let start = at + dom[at..].find('>').unwrap() + 1;
    let end = start + dom[start..].find("</div>").unwrap();
    unescape(&dom[start..end])
}

/// The Explorer (`comlife explore`) in the browser, on local-sta: its discovery links are the
/// checked-in traces' Explorer links, the shortest paths `check` reports (stateright's own
/// Explorer linked 67–73 steps where the traces have 14–26); a trace's link opens its whole
/// path; the page shows states and steps in COM terms, not stateright's `Debug` text of the
/// actor model (`ActorModelState { actor_states: …`).
#[test]
#[ignore = "needs Debian's chromium; .ci/run runs it with --include-ignored"]
fn explorer_page_speaks_com_and_links_shortest_paths() {
    let Some(b) = browser_or_skip("explorer_page_speaks_com_and_links_shortest_paths") else {
        return;
    };
    let ex = common::Explorer::serve(&["--scenario", "local-sta"]);
    let base = format!("http://127.0.0.1:{}/", ex.port);
    // The checked-in traces of the run: (Explorer path, steps), by property.
    let dir = Path::new(ROOT).join("traces/local-sta/baseline");
    let mut traces = std::collections::BTreeMap::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.to_string_lossy().ends_with(".itf.json") {
            let meta = read_itf(&p)["#meta"].clone();
            let link = meta["explorer"].as_str().unwrap();
            let path = link.strip_prefix("http://127.0.0.1:3000/#/steps/").unwrap();
            let steps: usize = meta["steps"].as_str().unwrap().parse().unwrap();
            traces.insert(
                meta["property"].as_str().unwrap().to_string(),
                (path.to_string(), steps),
            );
        }
    }
    assert!(traces.len() >= 3, "{traces:?}");
    let budget = ["--virtual-time-budget=30000"];

    // A counterexample's link: the whole path, the last step in COM terms.
    let (path, steps) = &traces["available-under-user-control"];
    let dom = dump_dom(&b, &format!("{base}#/steps/{path}"), "explorer", &budget);
    let global = &dom[dom.find("<h3>Global</h3>").expect("properties")..];
    let global = &global[..global.find("Path of Actions").unwrap()];
    let mut linked = std::collections::BTreeMap::new();
    for li in global.split("<li>").skip(1) {
        let Some(at) = li.find("href=\"#/steps/") else {
            continue;
        };
        let href = &li[at + "href=\"#/steps/".len()..];
        let href = &href[..href.find('"').unwrap()];
        let name_at = li[at..].find('>').unwrap() + at + 1;
        let name = &li[name_at..name_at + li[name_at..].find('<').unwrap()];
        let prop = name.split(' ').nth(1).unwrap().to_string();
        assert_eq!(
            href.split('/').count() - 1,
            traces[&prop].1,
            "{prop}: shortest"
        );
        linked.insert(prop, (href.to_string(), href.split('/').count() - 1));
    }
    assert_eq!(
        linked, traces,
        "the page's discoveries are the traces' links"
    );
    let path_list = &dom[dom.find("Path of Actions").unwrap()..];
    let path_list = &path_list[..path_list.find("Next Action Choices").unwrap()];
    assert_eq!(
        path_list.matches("?offset=").count(),
        steps + 2,
        "Pre-init, the initial state and {steps} steps"
    );
    let last = explorer_current_state(&dom);
    for rust in ["ActorModelState", "actor_states", "NEXT_STATE", "Arc("] {
        assert!(!last.contains(rust), "{rust} shown: {last}");
    }
    assert!(
        last.starts_with("changed\n") || last.starts_with("sent\n"),
        "what the step did: {last}"
    );
    assert!(
        last.contains("\nserver instance 1\n  ") && last.contains("messages in transit"),
        "the state it leads to: {last}"
    );

    // The initial state, in COM terms.
    let dom = dump_dom(&b, &format!("{base}#/steps/0"), "explorer-init", &budget);
    let init = explorer_current_state(&dom);
    assert!(
        init.starts_with("client 1\n  nothing yet\n")
            && init.contains("SCM\n  CLSID_A: no instance"),
        "{init}"
    );
    assert!(!init.contains("ActorModelState"), "{init}");
}
