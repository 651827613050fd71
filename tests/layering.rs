//! The layers of model/ (issue 18): what is modeled (`com`) imports nothing else of the crate's;
//! how it is checked (`verify`) imports only `com`; server descriptions (`description`) and
//! traces (`trace`) import `com` and `verify`, not each other; the CLI sits on top. Every path
//! names its layer (`crate::com::server`, `comlife::verify::check`): there is no facade of
//! short paths (`crate::server`) to hide a back-edge behind.
//!
//! The test reads the sources, not the compiler's view: every `crate::…` path in code
//! (`use` lines, `use crate::{…}` groups over several lines, paths in expressions and types),
//! with comments and string literals left out. Doc comments are read for short paths (a doc link
//! through a facade that is gone is a broken link) and for links up the layers.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The layers under model/, each a top-level module of the crate.
const LAYERS: [&str; 4] = ["com", "verify", "description", "trace"];

/// The layers a file in `layer` may import (its own included); lib.rs may name all.
fn allowed(layer: &str) -> &'static [&'static str] {
    match layer {
        "com" => &["com"],
        "verify" => &["com", "verify"],
        "description" => &["com", "verify", "description"],
        "trace" => &["com", "verify", "trace"],
        "lib" => &LAYERS,
        other => panic!("no layer {other}"),
    }
}

/// The layer of a file under model/: its top folder, or `lib` for model/lib.rs.
fn layer_of(model: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(model).expect("under model/");
    let mut parts = rel.components();
    let first = parts
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    if parts.next().is_none() {
        assert_eq!(
            first, "lib.rs",
            "a file directly in model/ that is not lib.rs"
        );
        "lib".into()
    } else {
        assert!(
            LAYERS.contains(&first.as_str()),
            "model/{first}/ is not a layer: add it to LAYERS and to allowed()"
        );
        first
    }
}

/// A source split into code (comments and the contents of string and char literals blanked,
/// line breaks kept) and its comments, each with the line it starts on.
struct Lexed {
    code: String,
    comments: Vec<(usize, String)>,
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn lex(src: &str) -> Lexed {
    let s: Vec<char> = src.chars().collect();
    let mut code = String::with_capacity(src.len());
    let mut comments = Vec::new();
    let mut line = 1;
    let mut i = 0;
    // Blanks s[from..to] into `code`, keeping line breaks.
    let blank = |code: &mut String, line: &mut usize, from: usize, to: usize| {
        for &c in &s[from..to] {
            if c == '\n' {
                *line += 1;
                code.push('\n');
            } else {
                code.push(' ');
            }
        }
    };
    while i < s.len() {
        let c = s[i];
        let next = s.get(i + 1).copied();
        let prev_ident = i > 0 && is_ident(s[i - 1]);
        if c == '/' && next == Some('/') {
            let end = (i..s.len()).find(|&j| s[j] == '\n').unwrap_or(s.len());
            comments.push((line, s[i..end].iter().collect()));
            blank(&mut code, &mut line, i, end);
            i = end;
        } else if c == '/' && next == Some('*') {
            let (mut depth, mut j) = (1, i + 2);
            while j < s.len() && depth > 0 {
                if s[j] == '/' && s.get(j + 1) == Some(&'*') {
                    depth += 1;
                    j += 2;
                } else if s[j] == '*' && s.get(j + 1) == Some(&'/') {
                    depth -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            comments.push((line, s[i..j].iter().collect()));
            blank(&mut code, &mut line, i, j);
            i = j;
        } else if c == '"' {
            let mut j = i + 1;
            while j < s.len() && s[j] != '"' {
                j += if s[j] == '\\' { 2 } else { 1 };
            }
            code.push('"');
            blank(&mut code, &mut line, i + 1, j.min(s.len()));
            code.push('"');
            i = j + 1;
        } else if !prev_ident
            && (c == 'r' || (c == 'b' && next == Some('r')))
            && matches!(s.get(i + 1 + (c == 'b') as usize), Some('#') | Some('"'))
        {
            // A raw string: r"…", r#"…"#, br"…".
            let mut j = i + 1 + (c == 'b') as usize;
            let hashes = s[j..].iter().take_while(|&&h| h == '#').count();
            j += hashes;
            if s.get(j) != Some(&'"') {
                code.push(c);
                i += 1;
                continue;
            }
            let close: String = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let rest: String = s[j + 1..].iter().collect();
            let len = rest
                .find(&close)
                .map_or(rest.chars().count(), |k| rest[..k].chars().count());
            let end = (j + 1 + len + 1 + hashes).min(s.len());
            blank(&mut code, &mut line, i, end);
            i = end;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\''), or a lifetime ('a), which stays.
            if next == Some('\\') {
                let mut j = i + 3;
                while j < s.len() && s[j] != '\'' {
                    j += 1;
                }
                blank(&mut code, &mut line, i, j + 1);
                i = j + 1;
            } else if s.get(i + 2) == Some(&'\'') {
                blank(&mut code, &mut line, i, i + 3);
                i += 3;
            } else {
                code.push(c);
                i += 1;
            }
        } else {
            if c == '\n' {
                line += 1;
            }
            code.push(c);
            i += 1;
        }
    }
    Lexed { code, comments }
}

/// The first segment of every path that starts with `root::` in `text` (`root` a whole
/// identifier, not `$root`), with its line (1-based, counted from `first_line`): for
/// `root::a::b` it is `a`; for a group `root::{a::x, b::{y, z}}`, over as many lines as it
/// takes, `a` and `b`.
fn first_segments(text: &str, root: &str, first_line: usize) -> Vec<(usize, String)> {
    let s: Vec<char> = text.chars().collect();
    let pat: Vec<char> = format!("{root}::").chars().collect();
    let mut out = Vec::new();
    let line_at = |k: usize| first_line + s[..k].iter().filter(|&&c| c == '\n').count();
    let ident_at = |mut k: usize| {
        while k < s.len() && s[k].is_whitespace() {
            k += 1;
        }
        let start = k;
        while k < s.len() && is_ident(s[k]) {
            k += 1;
        }
        (s[start..k].iter().collect::<String>(), start)
    };
    let mut i = 0;
    while i + pat.len() <= s.len() {
        let before_ok = i == 0 || !(is_ident(s[i - 1]) || s[i - 1] == '$');
        if !(before_ok && s[i..i + pat.len()] == pat[..]) {
            i += 1;
            continue;
        }
        let mut k = i + pat.len();
        while k < s.len() && s[k].is_whitespace() {
            k += 1;
        }
        if s.get(k) == Some(&'{') {
            // A group: the first segment of each item at the group's top level.
            let mut depth = 0;
            let mut item_start = true;
            while k < s.len() {
                match s[k] {
                    '{' => {
                        depth += 1;
                        if depth == 1 {
                            item_start = true;
                        }
                    }
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => item_start = true,
                    c if depth == 1 && item_start && is_ident(c) => {
                        let (id, at) = ident_at(k);
                        out.push((line_at(at), id.clone()));
                        item_start = false;
                        k = at + id.chars().count();
                        continue;
                    }
                    _ => {}
                }
                k += 1;
            }
        } else {
            let (id, at) = ident_at(k);
            out.push((line_at(at), id));
        }
        i += pat.len();
    }
    out
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every back-edge and short path in the files under model/, as "FILE:LINE: what is wrong".
fn model_violations(model: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rs_files(model, &mut files);
    assert!(files.len() > 20, "model/ has its sources");
    let mut out = Vec::new();
    for f in &files {
        let layer = layer_of(model, f);
        let src = std::fs::read_to_string(f).unwrap();
        out.extend(
            violations(&layer, &src)
                .into_iter()
                .map(|v| format!("{}:{v}", f.strip_prefix(root()).unwrap_or(f).display())),
        );
    }
    out
}

/// The back-edges and short paths of one file of `layer`, as "LINE: what is wrong".
fn violations(layer: &str, src: &str) -> Vec<String> {
    let lexed = lex(src);
    let mut out = Vec::new();
    for (line, seg) in first_segments(&lexed.code, "crate", 1) {
        if !LAYERS.contains(&seg.as_str()) {
            out.push(format!(
                "{line}: crate::{seg} is not a layer's path (write crate::com::{seg}, crate::verify::{seg}, …)"
            ));
        } else if !allowed(layer).contains(&seg.as_str()) {
            out.push(format!(
                "{line}: {layer} imports {seg} (crate::{seg}): a back-edge; {layer} may import {:?}",
                allowed(layer)
            ));
        }
    }
    for k in first_segments(&lexed.code, "super", 1)
        .into_iter()
        .filter(|(_, s)| s == "super")
    {
        out.push(format!(
            "{}: super::super:: leaves the layer; write crate::…",
            k.0
        ));
    }
    for (line, text) in &lexed.comments {
        for (l, seg) in first_segments(text, "crate", *line) {
            if !LAYERS.contains(&seg.as_str()) {
                out.push(format!(
                    "{l}: comment names crate::{seg}, not a layer's path"
                ));
            } else if ["///", "//!", "/**", "/*!"]
                .iter()
                .any(|d| text.starts_with(d))
                && !allowed(layer).contains(&seg.as_str())
            {
                // A doc link up the layers makes the lower layer's documentation depend on
                // the upper one: name it in plain text instead.
                out.push(format!(
                    "{l}: doc link to crate::{seg} from {layer}: a back-edge; {layer} may link {:?}",
                    allowed(layer)
                ));
            }
        }
    }
    out
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn layers_import_downwards_only() {
    let v = model_violations(&root().join("model"));
    assert!(v.is_empty(), "layering violations:\n{}", v.join("\n"));
}

/// The CLI and the tests use the crate by its full paths too (`comlife::com::config::Config`).
#[test]
fn cli_and_tests_use_full_paths() {
    let mut files = Vec::new();
    rs_files(&root().join("cli"), &mut files);
    rs_files(&root().join("tests"), &mut files);
    let mut bad = Vec::new();
    for f in &files {
        let src = std::fs::read_to_string(f).unwrap();
        let lexed = lex(&src);
        for (line, seg) in first_segments(&lexed.code, "comlife", 1) {
            if !LAYERS.contains(&seg.as_str()) {
                let f = f.strip_prefix(root()).unwrap_or(f);
                bad.push(format!("{}:{line}: comlife::{seg}", f.display()));
            }
        }
    }
    assert!(bad.is_empty(), "short paths:\n{}", bad.join("\n"));
}

/// Every layer is a module of lib.rs and lib.rs re-exports none of their modules.
#[test]
fn lib_has_the_layers_and_no_facade() {
    let lib = std::fs::read_to_string(root().join("model/lib.rs")).unwrap();
    let code = lex(&lib).code;
    for l in LAYERS {
        assert!(
            code.contains(&format!("pub mod {l};")),
            "lib.rs: pub mod {l};"
        );
    }
    assert!(
        !code.contains("pub use"),
        "lib.rs re-exports modules: a facade"
    );
}

/// The checker itself finds what it must: a back-edge in a `use` line, in a group over
/// several lines, in an expression; a short path; and not what is in comments or strings.
#[test]
fn the_check_sees_back_edges() {
    let src = r##"
use crate::com::config::Config;
use crate::verify::check::run;
use crate::{
    com::msg::Msg,
    trace::state_text::{summary, changes},
};
fn f() -> String {
    // crate::trace::state_text::the in a comment is no import
    let s = "crate::trace::x in a string is none either";
    let r = r#"crate::trace::y"#;
    let c = '"';
    crate::trace::itf_trace::camel(s)
}
fn g<'a>(x: &'a str) -> &'a str { crate::server::f(x) }
"##;
    assert_eq!(
        violations("verify", src),
        [
            "6: verify imports trace (crate::trace): a back-edge; verify may import [\"com\", \"verify\"]",
            "13: verify imports trace (crate::trace): a back-edge; verify may import [\"com\", \"verify\"]",
            "15: crate::server is not a layer's path (write crate::com::server, crate::verify::server, …)",
        ]
    );
    // A doc link up the layers is a back-edge too; a plain comment is not.
    assert_eq!(
        violations(
            "com",
            "//! Attached in [`crate::verify::model::build`].\n// crate::verify::x is a remark\n"
        ),
        ["1: doc link to crate::verify from com: a back-edge; com may link [\"com\"]"]
    );
    let back = |layer: &str, target: &str| {
        !violations(layer, &format!("use crate::{target}::x::Y;\n")).is_empty()
    };
    let mut edges = BTreeSet::new();
    for from in LAYERS {
        for to in LAYERS {
            if back(from, to) {
                edges.insert(format!("{from} → {to}"));
            }
        }
    }
    let want: BTreeSet<String> = [
        "com → verify",
        "com → description",
        "com → trace",
        "verify → description",
        "verify → trace",
        "description → trace",
        "trace → description",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(edges, want);
    assert_eq!(
        violations("com", "/// See [`crate::config::Config`].\nfn f() {}\n"),
        ["1: comment names crate::config, not a layer's path"]
    );
}
