//! `comlife conform LOG`: a real run's event log is accepted when a model path shows its
//! client-visible calls in order, and rejected when it is mutated. The log is a real one: the
//! Wine harness's case c (harness/run, docs/wine.md), one client doing CoCreateInstance, a
//! call and Release against the textbook EXE server with its own counts.

mod common;
use common::comlife;

const LOG: &str = "tests/conform/wine-suspended.log";
/// The model of the harness's server as case c runs it: local-sta on Wine with the server's
/// own counts (the server's default; `--process-refcount` is a switch).
const ARGS: [&str; 5] = [
    "--scenario",
    "local-sta",
    "--runtime",
    "wine",
    "--disable=process-refcount",
];

fn conform_text(name: &str, text: &str) -> (i32, String, String) {
    conform_text_with(name, text, &ARGS)
}

/// `comlife conform` on `text` written to a temporary file, with the model's `args`.
fn conform_text_with(name: &str, text: &str, args_model: &[&str]) -> (i32, String, String) {
    let dir = common::temp_dir(name);
    let path = dir.join("run.log");
    std::fs::write(&path, text).unwrap();
    let mut args = vec!["conform", path.to_str().unwrap()];
    args.extend(args_model);
    comlife(&args)
}

fn real_log() -> String {
    std::fs::read_to_string(LOG).unwrap()
}

#[test]
fn the_real_log_is_accepted_with_a_path() {
    let mut args = vec!["conform", LOG, "--show-path"];
    args.extend(ARGS);
    let (code, out, err) = comlife(&args);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("accepted by local-sta"), "{out}");
    assert!(out.contains("pid 208 is model client 1"), "{out}");
    // The path is printed step by step, and it has the client's calls.
    assert!(out.contains("calls CoCreateInstance"), "{out}");
    assert!(out.contains("calls a method on its object"), "{out}");
}

#[test]
fn a_mutated_hresult_is_rejected_naming_the_call() {
    // A method call never returns CO_E_SERVER_STOPPING (only activations and CreateInstance
    // do). RPC_S_SERVER_UNAVAILABLE would be accepted: local-sta's user may close the server
    // before the call.
    let log = real_log().replace(
        "prog=client call method=GetClassID hr=0x00000000",
        "prog=client call method=GetClassID hr=0x80080008",
    );
    let (code, out, err) = conform_text("hr", &log);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("rejected"), "{out}");
    assert!(
        out.contains("first call no path shows next: pid 208: method call on its object → CO_E_SERVER_STOPPING"),
        "{out}"
    );
    assert!(out.contains("method call on its object → S_OK"), "{out}");
}

#[test]
fn calls_out_of_order_are_rejected() {
    // The call's line moved before the activation's answer: same events, another order.
    let text = real_log();
    let lines: Vec<&str> = text.lines().collect();
    let act = lines
        .iter()
        .position(|l| l.contains("activation-answered"))
        .unwrap();
    let call = lines
        .iter()
        .position(|l| l.contains("prog=client call "))
        .unwrap();
    let mut swapped = lines.clone();
    swapped.swap(act, call);
    let (code, out, err) = conform_text("order", &swapped.join("\n"));
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("rejected"), "{out}");
}

#[test]
fn an_hresult_the_model_never_returns_is_rejected() {
    let log = real_log().replace(
        "activation-answered via=CoCreateInstance hr=0x00000000",
        "activation-answered via=CoCreateInstance hr=0x8000ffff",
    );
    let (code, out, _) = conform_text("unknown", &log);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("0x8000ffff"), "{out}");
}

#[test]
fn a_call_outside_the_model_scripts_is_rejected_saying_why() {
    // A second method call: the model's clients make one (A-SCRIPTS).
    let text = real_log();
    let call = text
        .lines()
        .find(|l| l.contains("prog=client call "))
        .unwrap()
        .replace("t=23437953", "t=23437954");
    let log = text.replace(
        "EVT pid=208 t=23437955 prog=client release",
        &format!("{call}\nEVT pid=208 t=23437955 prog=client release"),
    );
    let (code, out, _) = conform_text("script", &log);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("A-SCRIPTS"), "{out}");
}

#[test]
fn bad_input_exits_2_naming_the_line_and_nothing_runs() {
    let (code, _, err) = conform_text("bad", "EVT pid=1 t=2 prog=client call hr=0x0\nnot a line\n");
    assert_eq!(code, 2);
    assert!(err.contains("line 2: not an event line"), "{err}");
    let (code, _, err) = conform_text("empty", "EVT pid=1 t=2 prog=server exit\n");
    assert_eq!(code, 2);
    assert!(err.contains("no client event"), "{err}");
    let (code, _, err) = comlife(&["conform", LOG, "--scenario", "inproc"]);
    assert_eq!(code, 2);
    assert!(err.contains("EXE-server scenarios"), "{err}");
    let (code, _, err) = comlife(&["conform", LOG, "--scenario", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("valid scenarios"), "{err}");
    let (code, _, err) = comlife(&["conform", "/nonexistent/run.log", "--scenario", "local-sta"]);
    assert_eq!(code, 2, "{err}");
}

/// Runs `comlife conform` on a checked-in log with the given model arguments.
fn conform_file(log: &str, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["conform", log];
    all.extend(args);
    comlife(&all)
}

#[test]
fn real_logs_of_other_configurations_are_accepted() {
    // harness/conformance's runs (Wine 8.0): two clients against ATL 7.0-9.0's
    // CAtlExeModuleT, one with the class-object script (CoGetClassObject, LockServer E_NOTIMPL,
    // CreateInstance, a call) and one with CoCreateInstance; and the class-object script
    // against the textbook server with CoAddRefServerProcess/CoReleaseServerProcess.
    let (code, out, err) = conform_file(
        "tests/conform/wine-atl9-two-clients.log",
        &["--scenario", "atl9-sta", "--runtime", "wine"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("6 observed calls of 2 client process(es)"),
        "{out}"
    );
    let (code, out, err) = conform_file(
        "tests/conform/wine-process-refcount-classobject.log",
        &["--scenario", "local-sta", "--runtime", "wine"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("4 observed calls of 1 client process(es)"),
        "{out}"
    );
}

#[test]
fn a_single_use_class_object_taken_by_another_client_is_e_nointerface_on_wine() {
    // The launching client polls rpcss once a second; the second client's CoCreateInstance
    // took the REGCLS_SINGLEUSE class object in between, so the launcher's CoGetClassObject
    // gives up after 30 s with E_NOINTERFACE (Wine's rpc_get_local_class_object). The model's
    // Wine runtime has it (model/com/scm.rs); the Windows runtime relaunches instead.
    let log = "tests/conform/wine-singleuse-taken.log";
    let wine = [
        "--scenario",
        "local-sta",
        "--runtime",
        "wine",
        "--disable=process-refcount",
        "--enable=regcls-singleuse",
    ];
    let (code, out, err) = conform_file(log, &wine);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("3 observed calls of 2 client process(es)"),
        "{out}"
    );
    // Under Windows the SCM launches a new instance for the waiting activation instead
    // (R-COM-SINGLEUSE, R-003-SCM-RELAUNCH): rejected. (Without the single-use registration
    // the Wine model accepts it too: the launcher may poll only after the server exited, and
    // the model has no seconds, A-TIME.)
    let windows = [&wine[..3], &["windows"], &wine[4..]].concat();
    let (code, out, _) = conform_file(log, &windows);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("CoGetClassObject → E_NOINTERFACE"), "{out}");
}

#[test]
fn f4_on_wine_is_a_behaviour_of_the_model_and_boxs_locked_remedy_closes_it() {
    // harness/run cases f4-two-stas and f4-stopping-flag (Wine 8.0): server.exe --two-stas
    // --process-refcount; client 2's CreateInstance of CLSID_B held in apartment 2 (schedule
    // point create-b) while client 1's release in apartment 1 brings the count to 0.
    let f4 = "tests/conform/wine-f4-two-stas.log";
    let fixed = "tests/conform/wine-f4-stopping-flag.log";
    let base = ["--scenario", "local-multi-sta", "--runtime", "wine"];
    let locked = [&base[..], &["--enable", "stopping-flag-locked"]].concat();
    // F-4: client 2 gets its object, then RPC_S_SERVER_UNAVAILABLE after the exit.
    let (code, out, err) = conform_file(f4, &base);
    assert_eq!(code, 0, "{out}{err}");
    // Box's remedy under a lock has no such path: the late call's failure is rejected.
    let (code, out, _) = conform_file(f4, &locked);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("method call on its object → RPC_S_SERVER_UNAVAILABLE"),
        "{out}"
    );
    // With the remedy the run's CreateInstance returns CO_E_SERVER_STOPPING: accepted.
    let (code, out, err) = conform_file(fixed, &locked);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("3 observed calls of 2 client process(es)"),
        "{out}"
    );
}

#[test]
fn the_launchers_late_poll_and_a_teardowns_rpc_e_disconnected_are_accepted_on_wine() {
    // Runs of harness/conformance once rejected (spec/assumptions.md A-WINE): the launcher's
    // late poll (its server serves another client and exits at that client's release before
    // the launcher asks rpcss: E_NOINTERFACE; R-WINE-ACTIVATION) and RPC_E_DISCONNECTED for a
    // CreateInstance that reaches the server in CoUninitialize's teardown (R-WINE-TEARDOWN).
    let late = "tests/conform/wine-launcher-polls-late.log";
    let late_args = [
        "--scenario",
        "local-sta",
        "--runtime",
        "wine",
        "--disable=lockserver-counts",
    ];
    let (code, out, err) = conform_file(late, &late_args);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("5 observed calls of 2 client process(es)"),
        "{out}"
    );
    let torn = "tests/conform/wine-revoked-cf-rpc-e-disconnected.log";
    let torn_args = ["--scenario", "local-sta", "--runtime", "wine"];
    let (code, out, err) = conform_file(torn, &torn_args);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("7 observed calls of 2 client process(es)"),
        "{out}"
    );
    // Mutated: the failures as Windows would report them (CO_E_SERVER_EXEC_FAILURE for a
    // launch that serves nothing, R-SEEDS-EXEC-FAILURE) are not Wine's: rejected, naming the
    // call.
    let text = std::fs::read_to_string(late).unwrap();
    assert!(text.contains("hr=0x80004002"));
    let (code, out, _) = conform_text_with(
        "late-exec-failure.log",
        &text.replace("hr=0x80004002", "hr=0x80080005"),
        &late_args,
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("CoCreateInstance → CO_E_SERVER_EXEC_FAILURE"),
        "{out}"
    );
    let text = std::fs::read_to_string(torn).unwrap();
    assert!(text.contains("hr=0x80010108"));
    let (code, out, _) = conform_text_with(
        "torn-exec-failure.log",
        &text.replace("hr=0x80010108", "hr=0x80080005"),
        &torn_args,
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("IClassFactory::CreateInstance → CO_E_SERVER_EXEC_FAILURE"),
        "{out}"
    );
}

#[test]
fn f1_on_wine_is_accepted_by_the_wine_model_and_rejected_by_windows() {
    // harness/run case l (f1-launcher-unserved, Wine 8.0): client 1's CoCreateInstance launches
    // server.exe --process-refcount; client 2 waits for the registration and does
    // CoCreateInstance, a call and the release; the server exits before client 1's first poll
    // of rpcss, and client 1 gets E_NOINTERFACE (F-1 on Wine, R-WINE-ACTIVATION).
    let log = "tests/conform/wine-f1-launcher-unserved.log";
    let (code, out, err) = conform_file(log, &["--scenario", "local-sta", "--runtime", "wine"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("3 observed calls of 2 client process(es)"),
        "{out}"
    );
    // Windows's SCM routes the held activation at the registration: client 1 is served.
    let (code, out, _) = conform_file(log, &["--scenario", "local-sta"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("CoCreateInstance → E_NOINTERFACE"), "{out}");
    assert!(out.contains("CoCreateInstance → S_OK"), "{out}");
}

#[test]
fn a_call_cut_off_by_the_servers_exit_is_rpc_s_call_failed_on_wine() {
    // Run 192 of harness/conformance --runs 200 --seed 19 (spec/assumptions.md A-WINE, once
    // rejected): client 1 releases its object and the server shuts down; client 2's
    // CoCreateInstance (its QueryService) reached the server as it left its message loop, was
    // queued, never dispatched (Wine's CoUninitialize has no modal loop), and returned
    // RPC_S_CALL_FAILED (0x800706BE, rpcrt4's short read of the reply) when the process exited
    // (R-WINE-TEARDOWN).
    let log = "tests/conform/wine-call-failed-at-exit.log";
    let args = [
        "--scenario",
        "local-sta",
        "--runtime",
        "wine",
        "--disable=process-refcount",
    ];
    let (code, out, err) = conform_file(log, &args);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("3 observed calls of 2 client process(es)"),
        "{out}"
    );
    // The harness server has no user: the model of local-sta's server without one has the run's
    // own path (client 1's final release, client 2's call queued, CoUninitialize, the exit).
    let text = std::fs::read_to_string("spec/scenarios/local-sta.toml").unwrap();
    let text = text[..text.find("[expect]").unwrap()].replace("user = true", "user = false");
    assert!(text.contains("user = false"));
    let dir = common::temp_dir("conform-no-user");
    let file = dir.join("no-user.toml");
    std::fs::write(&file, text).unwrap();
    let mut a = vec!["conform", log, "--show-path", "--file"];
    a.push(file.to_str().unwrap());
    a.extend(["--runtime", "wine", "--disable=process-refcount"]);
    let (code, out, err) = comlife(&a);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("the user"), "{out}");
    for step in [
        "acts on the final release",
        "calls CoUninitialize, which releases the apartment and dispatches nothing",
        "RPC_S_CALL_FAILED for client 2's",
    ] {
        assert!(out.contains(step), "{step}: {out}");
    }
    // Mutated: E_FAIL, what the queued QueryService would return if CoUninitialize dispatched
    // it with the class revoked (Windows's modal loop, A-QUEUE), is not Wine's: rejected.
    let text = std::fs::read_to_string(log).unwrap();
    assert!(text.contains("hr=0x800706be"));
    let (code, out, _) = conform_text_with(
        "call-failed-e-fail.log",
        &text.replace("hr=0x800706be", "hr=0x80004005"),
        &args,
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("rejected"), "{out}");
    // Windows never answers RPC_S_CALL_FAILED in the model: the log is rejected there.
    let (code, out, _) = conform_file(log, &args[..2]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("CoCreateInstance → RPC_S_CALL_FAILED"),
        "{out}"
    );
}
