//! Prose that stays true (issue 18): cheap checks that the README, docs/ and spec/ agree with the
//! code they describe. Each test reads files relative to the crate root and compares them with
//! the model's own tables (`RULES`, `PROPERTIES`, `Scenario::ALL`), so a rename or a new rule,
//! property, finding or scenario that the prose does not follow fails here.

use comlife::com::rules::{source_file, RULES};
use comlife::com::scenario::Scenario;
use comlife::verify::properties::{expectation_name, PROPERTIES};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every `.md` file of a directory (relative to the root), sorted.
fn markdown_in(dir: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    out.sort();
    out
}

/// The prose a reader is pointed to: README.md, docs/*.md, spec/*.md and traces/README.md.
fn prose_files() -> Vec<String> {
    let mut files = vec!["README.md".to_string(), "traces/README.md".to_string()];
    files.extend(markdown_in("docs"));
    files.extend(markdown_in("spec"));
    files
}

/// Every `.rs` file below `model/` but model/com/rules.rs (whose `element` texts are what is
/// checked against them), with its text.
fn model_sources() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root().join("model")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("com/rules.rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                out.push((p, text));
            }
        }
    }
    out
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Whether `word` occurs in `text` as a whole identifier.
fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        !text[..i].ends_with(is_ident_char) && !text[i + word.len()..].starts_with(is_ident_char)
    })
}

/// The rule ID of a heading line with the given prefix (`### ` or `#### `): `R-…` up to the
/// first space.
fn rule_heading(line: &str, prefix: &str) -> Option<String> {
    let rest = line.strip_prefix(prefix)?;
    rest.starts_with("R-")
        .then(|| rest.split_whitespace().next().unwrap().to_string())
}

fn rule_ids() -> Vec<&'static str> {
    RULES.iter().map(|r| r.id).collect()
}

/// spec/rules.md explains every rule of model/com/rules.rs (`RULES`) under a `### R-…` heading,
/// in the same order, and no other.
#[test]
fn rules_md_headings_match_the_rule_table() {
    let text = read("spec/rules.md");
    let headings: Vec<String> = text
        .lines()
        .filter_map(|l| rule_heading(l, "### "))
        .collect();
    let ids = rule_ids();
    let missing: Vec<_> = ids
        .iter()
        .filter(|id| !headings.iter().any(|h| h == *id))
        .collect();
    let extra: Vec<_> = headings
        .iter()
        .filter(|h| !ids.contains(&h.as_str()))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "spec/rules.md: no heading for {missing:?}; headings not in RULES: {extra:?}"
    );
    assert_eq!(
        headings, ids,
        "spec/rules.md keeps RULES' order (model/com/rules.rs)"
    );
}

/// spec/frameworks.md quotes the framework rules under `#### R-…` headings. Every rule of
/// `RULES` sourced there has its heading; every heading there that is not in `RULES` is a
/// candidate, named in the file's status note (the quoted block before "## Sources") as not
/// modeled or modeled under another ID.
#[test]
fn frameworks_md_rules_are_in_the_rule_table_or_named_candidates() {
    let text = read("spec/frameworks.md");
    let headings: Vec<String> = text
        .lines()
        .filter_map(|l| rule_heading(l, "#### "))
        .collect();
    let note: String = text
        .lines()
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| l.starts_with('>'))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!note.is_empty(), "spec/frameworks.md lost its status note");
    for r in RULES
        .iter()
        .filter(|r| source_file(r.id) == "spec/frameworks.md")
    {
        assert!(
            headings.iter().any(|h| h == r.id),
            "{} is sourced in spec/frameworks.md but has no `#### {}` heading there",
            r.id,
            r.id
        );
    }
    for h in &headings {
        if !rule_ids().contains(&h.as_str()) {
            assert!(
                has_word(&note.replace('-', "_"), &h.replace('-', "_")),
                "spec/frameworks.md: {h} is neither in RULES nor named in the status note"
            );
        }
    }
}

/// Maximal runs of identifier characters, `::`, `/` and `.` in `text`, without a trailing `.`.
fn code_tokens(text: &str) -> Vec<&str> {
    text.split(|c: char| !(is_ident_char(c) || c == ':' || c == '/' || c == '.'))
        .map(|t| t.trim_end_matches(['.', ':']))
        .filter(|t| !t.is_empty())
        .collect()
}

/// Every code pointer a rule's `element` names (model/com/rules.rs) exists:
/// - a path `model/….rs` or `cli/….rs` is a file;
/// - `Type::member` (and `Type::a/b/c`): `Type` is a struct, enum, trait or type alias of
///   model/, and each member occurs as an identifier in a file that defines `Type` or has an
///   `impl` for it;
/// - a snake_case identifier (`record_result`) occurs as an identifier somewhere in model/;
/// - a CamelCase identifier with two or more humps (`MonitorKind`) likewise.
#[test]
fn every_code_pointer_a_rule_names_exists() {
    let sources = model_sources();
    let defines = |ty: &str, text: &str| {
        ["struct ", "enum ", "trait ", "type "]
            .iter()
            .any(|k| has_word(text, &format!("{k}{ty}")) || text.contains(&format!("{k}{ty}<")))
    };
    let implements = |ty: &str, text: &str| {
        defines(ty, text)
            || has_word(text, &format!("impl {ty}"))
            || has_word(text, &format!("for {ty}"))
    };
    let anywhere = |w: &str| sources.iter().any(|(_, t)| has_word(t, w));
    let mut errors = Vec::new();
    for r in RULES {
        for tok in code_tokens(r.element) {
            if tok.starts_with("model/") || tok.starts_with("cli/") {
                if !root().join(tok).is_file() {
                    errors.push(format!("{}: no file {tok}", r.id));
                }
            } else if let Some((ty, members)) = tok.split_once("::") {
                if !sources.iter().any(|(_, t)| defines(ty, t)) {
                    errors.push(format!("{}: no type {ty} in model/ ({tok})", r.id));
                    continue;
                }
                for m in members.split('/').filter(|m| !m.is_empty()) {
                    let m = m.split("::").next().unwrap();
                    if !sources
                        .iter()
                        .any(|(_, t)| implements(ty, t) && has_word(t, m))
                    {
                        errors.push(format!("{}: {ty} has no {m} ({tok})", r.id));
                    }
                }
            } else if tok.contains('_')
                && tok
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                if !anywhere(tok) {
                    errors.push(format!("{}: no identifier {tok} in model/", r.id));
                }
            } else if tok.chars().all(|c| c.is_ascii_alphanumeric())
                && tok.starts_with(|c: char| c.is_ascii_uppercase())
                && tok.chars().any(|c| c.is_ascii_lowercase())
                && tok.chars().filter(|c| c.is_ascii_uppercase()).count() >= 2
                && !anywhere(tok)
            {
                errors.push(format!("{}: no identifier {tok} in model/", r.id));
            }
        }
    }
    assert!(
        errors.is_empty(),
        "stale code pointers in model/com/rules.rs:\n{}",
        errors.join("\n")
    );
}

/// The summary table at the top of spec/findings.md lists every `## F-n` finding, in order,
/// and marks a finding withdrawn exactly when its heading does.
#[test]
fn findings_table_lists_every_finding() {
    let text = read("spec/findings.md");
    let id_of = |s: &str| -> String {
        s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .next()
            .unwrap()
            .to_string()
    };
    let headings: Vec<(String, bool)> = text
        .lines()
        .filter_map(|l| l.strip_prefix("## F-"))
        .map(|rest| (format!("F-{}", id_of(rest)), rest.contains("(withdrawn")))
        .collect();
    let rows: Vec<(String, bool)> = text
        .lines()
        .take_while(|l| !l.starts_with("## "))
        .filter_map(|l| l.strip_prefix("| F-"))
        .map(|rest| {
            let cells: Vec<&str> = rest.split('|').map(str::trim).collect();
            (format!("F-{}", cells[0]), cells[1].starts_with("withdrawn"))
        })
        .collect();
    assert!(
        !headings.is_empty(),
        "no `## F-n` heading in spec/findings.md"
    );
    assert_eq!(
        rows, headings,
        "spec/findings.md: the summary table (ID, withdrawn) differs from the `## F-n` sections"
    );
}

/// The scenarios' names as written in prose, and those of the framework scenarios.
fn scenario_names() -> (Vec<&'static str>, Vec<&'static str>) {
    let all = Scenario::ALL.iter().map(|s| s.name()).collect();
    let frameworks = Scenario::ALL
        .iter()
        .filter(|s| s.framework().is_some())
        .map(|s| s.name())
        .collect();
    (all, frameworks)
}

/// spec/rules.md's catalogue (the paragraph opening `**Scenarios**`) names every scenario.
#[test]
fn rules_md_names_every_scenario() {
    let text = read("spec/rules.md");
    let para = text
        .split("\n\n")
        .find(|p| p.starts_with("**Scenarios**"))
        .expect("spec/rules.md: the **Scenarios** paragraph");
    let (all, _) = scenario_names();
    let missing: Vec<_> = all
        .iter()
        .filter(|n| !para.contains(&format!("`{n}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "spec/rules.md's **Scenarios** omit {missing:?}"
    );
}

/// spec/properties.md has a section for every property of `PROPERTIES` and no other, and where
/// a section gives `**Expectation:**` and `**Scenarios:**`, they are the property's
/// expectation and exactly the scenarios its `applies` admits, in any order.
#[test]
fn properties_md_matches_the_property_table() {
    let text = read("spec/properties.md");
    let mut documented = BTreeSet::new();
    let mut errors = Vec::new();
    for section in text.split("\n### ").skip(1) {
        let heading = section.lines().next().unwrap();
        let names: Vec<&str> = heading.split('`').skip(1).step_by(2).collect();
        // A bullet item, with its continuation lines joined.
        let item = |label: &str| -> Option<String> {
            let start = section.find(label)? + label.len();
            let rest = &section[start..];
            let end = rest
                .find("\n* ")
                .or_else(|| rest.find("\n\n"))
                .unwrap_or(rest.len());
            Some(rest[..end].split_whitespace().collect::<Vec<_>>().join(" "))
        };
        for name in &names {
            documented.insert(name.to_string());
            let Some(p) = PROPERTIES.iter().find(|p| p.name == *name) else {
                errors.push(format!("`{name}`: no such property in PROPERTIES"));
                continue;
            };
            if let Some(e) = item("**Expectation:** ") {
                let got = e.split('.').next().unwrap();
                if got != expectation_name(&p.expectation) {
                    errors.push(format!(
                        "`{name}`: Expectation {got}, the model says {}",
                        expectation_name(&p.expectation)
                    ));
                }
            }
            if let Some(s) = item("**Scenarios:** ") {
                let got: BTreeSet<&str> = s.split('.').next().unwrap().split(", ").collect();
                let want: BTreeSet<&str> = Scenario::ALL
                    .iter()
                    .filter(|sc| (p.applies)(**sc))
                    .map(|sc| sc.name())
                    .collect();
                if got != want {
                    errors.push(format!(
                        "`{name}`: Scenarios {got:?}, the model applies it to {want:?}"
                    ));
                }
            }
        }
    }
    for p in PROPERTIES {
        if !documented.contains(p.name) {
            errors.push(format!("`{}` has no section", p.name));
        }
    }
    assert!(
        errors.is_empty(),
        "spec/properties.md:\n{}",
        errors.join("\n")
    );
}

/// Scenario lists in prose are complete. A paragraph (text between blank lines) of README.md,
/// docs/*.md, spec/*.md or traces/README.md that names five or more scenarios in backticks is
/// taken to enumerate them: it must name all of them, or all the framework scenarios (the one
/// family the prose enumerates on its own). Fewer names are a citation (where a finding shows,
/// e.g. F-4's `local-multi-sta`, `atl14-mta`, `atl9-mta`), not a list. The catalogue in
/// spec/rules.md and the `**Scenarios:**` fields of spec/properties.md are checked exactly, above.
#[test]
fn scenario_lists_are_complete() {
    let (all, frameworks) = scenario_names();
    let mut errors = Vec::new();
    for file in prose_files() {
        let text = read(&file);
        let mut line = 1;
        for para in text.split("\n\n") {
            let named: BTreeSet<&str> = all
                .iter()
                .copied()
                .filter(|n| para.contains(&format!("`{n}`")))
                .collect();
            if named.len() >= 5
                && named.len() != all.len()
                && !frameworks.iter().all(|f| named.contains(f))
            {
                let missing: Vec<_> = all.iter().filter(|n| !named.contains(*n)).collect();
                errors.push(format!(
                    "{file}:{line}: a list of scenarios without {missing:?}"
                ));
            }
            line += para.matches('\n').count() + 2;
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// The README stays short (issue 18: about 200 lines, at most 250), and its first screen holds
/// the two commands that .ci/run runs "(README.md)".
#[test]
fn readme_is_short_and_starts_with_the_two_commands() {
    let readme = read("README.md");
    let lines = readme.lines().count();
    assert!(
        lines <= 250,
        "README.md has {lines} lines; move depth to docs/"
    );
    let first_screen: String = readme.lines().take(60).collect::<Vec<_>>().join("\n");
    let ci = read(".ci/run");
    let ci_lines: Vec<&str> = ci.lines().collect();
    let mut commands = 0;
    for (i, l) in ci_lines.iter().enumerate() {
        if l.starts_with('#') && l.contains("(README.md)") {
            let cmd = ci_lines[i + 1..]
                .iter()
                .find(|c| !c.starts_with('#') && !c.trim().is_empty())
                .unwrap()
                .trim();
            assert!(
                first_screen.contains(cmd),
                "README.md's first 60 lines lack `{cmd}`, which .ci/run runs as the README's command"
            );
            commands += 1;
        }
    }
    assert!(
        commands >= 2,
        ".ci/run names the README's two commands (and may name more, such as the full suite)"
    );
}

/// Paths the README and docs/ name exist: repository paths in the text (`spec/…`, `docs/…`,
/// `traces/…`, `tests/…`, `model/…`, `cli/…`, `.ci/…`) from the root, and relative Markdown
/// links from the file's directory. Placeholders (`NAME`, `<…>`, `*`) and the example
/// description's own output (traces/shop/, traces/my-server/, written beside the user's file)
/// are not paths of this repository.
#[test]
fn paths_the_readme_and_docs_name_exist() {
    let mut files = vec!["README.md".to_string()];
    // docs/renames.md names old paths on purpose.
    files.extend(
        markdown_in("docs")
            .into_iter()
            .filter(|f| f != "docs/renames.md"),
    );
    let prefixes = [
        "spec/", "docs/", "traces/", "tests/", "model/", "cli/", ".ci/",
    ];
    let mut errors = Vec::new();
    for file in files {
        let text = read(&file);
        let dir = root().join(&file).parent().unwrap().to_path_buf();
        // Markdown links.
        for part in text.split("](").skip(1) {
            let target = part.split(')').next().unwrap();
            if target.contains("://") || target.starts_with('#') {
                continue;
            }
            let target = target.split('#').next().unwrap();
            if !dir.join(target).exists() {
                errors.push(format!("{file}: link to {target}"));
            }
        }
        // Paths in the text.
        let is_path_char = |c: char| is_ident_char(c) || "/.+-<>*{}".contains(c);
        for (i, _) in text.char_indices() {
            let rest = &text[i..];
            let Some(prefix) = prefixes.iter().find(|p| rest.starts_with(**p)) else {
                continue;
            };
            if text[..i].ends_with(|c: char| is_path_char(c) || c == '~')
                || text[..i].ends_with("](")
            {
                continue; // inside a longer path, or a Markdown link (checked above)
            }
            let end = rest.find(|c: char| !is_path_char(c)).unwrap_or(rest.len());
            let path = rest[..end].trim_end_matches(['.', ',', '-']);
            if path.len() == prefix.len()
                || ["NAME", "<", ">", "*", "{", "}", "RUN", "PROPERTY"]
                    .iter()
                    .any(|p| path.contains(p))
                || path.starts_with("traces/shop/")
                || path.starts_with("traces/my-server/")
            {
                continue;
            }
            if !root().join(path).exists() {
                errors.push(format!("{file}: {path}"));
            }
        }
    }
    assert!(
        errors.is_empty(),
        "paths that do not exist:\n{}",
        errors.join("\n")
    );
}
