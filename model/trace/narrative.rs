//! A trace for a COM developer: Markdown with a Mermaid `sequenceDiagram` and a numbered
//! narrative in COM terms, made from a loaded ITF trace ([`crate::trace::replay::Loaded`]).
//!
//! Everything is derived generically from the trace file: participants are its actor
//! variables (clients, the SCM, server instances, and whatever actors the model adds), with
//! their display names from `#meta`; a delivered message is an arrow, an internal step a note
//! over its actor; each step's note lists what changed in the actor's state (counts,
//! registrations, objects created and destroyed) and replies carry their HRESULT.

use crate::com::names::{and_list, the};
use crate::com::rules::{rule, source_title};
use crate::trace::replay::Loaded;
use serde_json::Value;
use std::fmt::Write;

/// Whether `v` is Quint's sum-type encoding `{"tag": …, "value": …}`.
fn as_variant(v: &Value) -> Option<(&str, &Value)> {
    let o = v.as_object()?;
    if o.len() == 2 {
        Some((o.get("tag")?.as_str()?, o.get("value")?))
    } else {
        None
    }
}

fn is_unit(v: &Value) -> bool {
    v.get("#tup")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty)
}

/// An ITF value in short text: integers as numbers, variants as `Tag` or `Tag(value)`
/// (`Some(x)` as `x`), records as `{a: 1, b: 2}`, lists `[…]`, tuples `(…)`, sets `{…}`,
/// maps `{k ↦ v}`.
pub fn short(v: &Value) -> String {
    let join = |items: &[Value]| items.iter().map(short).collect::<Vec<_>>().join(", ");
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => format!("[{}]", join(items)),
        Value::Object(o) => {
            if let Some(s) = o.get("#bigint").and_then(Value::as_str) {
                return s.to_string();
            }
            if let Some(items) = o.get("#tup").and_then(Value::as_array) {
                return format!("({})", join(items));
            }
            if let Some(items) = o.get("#set").and_then(Value::as_array) {
                return format!("{{{}}}", join(items));
            }
            if let Some(items) = o.get("#map").and_then(Value::as_array) {
                let entries: Vec<String> = items
                    .iter()
                    .map(|p| format!("{} ↦ {}", short(&p[0]), short(&p[1])))
                    .collect();
                return format!("{{{}}}", entries.join(", "));
            }
            if let Some((tag, value)) = as_variant(v) {
                return if is_unit(value) {
                    tag.to_string()
                } else if tag == "Some" {
                    short(value)
                } else if let Some(items) = value.get("#tup").and_then(Value::as_array) {
                    format!("{tag}({})", join(items))
                } else {
                    format!("{tag}({})", short(value))
                };
            }
            let fields: Vec<String> = o
                .iter()
                .map(|(k, x)| format!("{k}: {}", short(x)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
    }
}

/// The leaves that differ between two values of one variable, as `(path, before, after)` in
/// [`short`] text. Paths name record fields and list indices (`apartments[0].phase`); a
/// variant whose tag is unchanged is looked into without naming its tag.
pub fn changes(before: &Value, after: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    walk(before, after, String::new(), &mut out);
    out
}

fn walk(a: &Value, b: &Value, path: String, out: &mut Vec<(String, String, String)>) {
    if a == b {
        return;
    }
    let sub = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            if let (Some((ta, va)), Some((tb, vb))) = (as_variant(a), as_variant(b)) {
                if ta == tb {
                    return walk(va, vb, path, out);
                }
            } else if x.keys().eq(y.keys()) && !x.keys().any(|k| k.starts_with('#')) {
                for (k, v) in x {
                    walk(v, &y[k], sub(k), out);
                }
                return;
            } else if let (Some(p), Some(q)) = (
                x.get("#tup").and_then(Value::as_array),
                y.get("#tup").and_then(Value::as_array),
            ) {
                if p.len() == q.len() {
                    for (i, (u, v)) in p.iter().zip(q).enumerate() {
                        walk(u, v, format!("{path}[{i}]"), out);
                    }
                    return;
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                walk(u, v, format!("{path}[{i}]"), out);
            }
            return;
        }
        _ => {}
    }
    out.push((path, short(a), short(b)));
}

/// Text for a Mermaid label (a participant's alias, a message or a note; everything after
/// `as` or `:` up to the end of the line): `;` and `#` (statement and entity syntax), `<`,
/// `>`, `&` and `"` (HTML, which Mermaid renders labels as) are written as Mermaid entities,
/// a line break as `<br/>`, and other control characters as spaces, so no text can end the
/// label, add a statement or inject markup. The one Mermaid escaper of the Markdown page.
pub fn mermaid(s: &str) -> String {
    let mut o = String::new();
    for c in s.chars() {
        match c {
            '#' => o.push_str("#35;"),
            ';' => o.push_str("#59;"),
            '<' => o.push_str("#lt;"),
            '>' => o.push_str("#gt;"),
            '&' => o.push_str("#amp;"),
            '"' => o.push_str("#quot;"),
            '\n' => o.push_str("<br/>"),
            c if c.is_control() => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// A Mermaid participant id (an actor variable, an object's id): only its ASCII letters,
/// digits and `_`, so that it can neither end the statement nor read as an arrow.
pub fn mermaid_id(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// Text for Markdown prose (a list item, a heading's tail): CommonMark's inline syntax
/// characters (`\`, `` ` ``, `*`, `[`, `]`, `<`, `>`, `&`, `|`, `~`, `#`, `!`) escaped with a
/// backslash, `_` too unless it is inside a word (`CLSID_A` stays as it is: CommonMark never
/// reads an intraword `_` as emphasis), a list or heading marker at the start escaped, and
/// line breaks and other control characters as spaces, so the text stays on its line and
/// renders as written. The one Markdown escaper of the page.
pub fn md_text(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let word = |i: Option<usize>| {
        i.and_then(|i| chars.get(i))
            .is_some_and(|c| c.is_alphanumeric())
    };
    let mut o = String::with_capacity(s.len());
    // A block marker at the start: "- ", "+ ", "1. ", "1) " (and `#`, `>`, escaped below).
    let digits = chars.iter().take_while(|c| c.is_ascii_digit()).count();
    let marker = match chars.first() {
        Some('-' | '+' | '=') => Some(0),
        Some(c) if c.is_ascii_digit() && matches!(chars.get(digits), Some('.' | ')')) => {
            Some(digits)
        }
        _ => None,
    };
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '&' | '|' | '~' | '#' | '!' => {
                o.push('\\');
                o.push(c);
            }
            '_' if !(word(i.checked_sub(1)) && word(Some(i + 1))) => o.push_str("\\_"),
            c if c.is_control() => o.push(' '),
            c => {
                if marker == Some(i) {
                    o.push('\\');
                }
                o.push(c);
            }
        }
    }
    o
}

/// `s` as a Markdown code span: fenced with one backtick more than the longest run of
/// backticks in it (padded with spaces when it starts or ends with one), line breaks as
/// spaces.
pub fn md_code(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

fn capitalise(s: &str) -> String {
    let mut cs = s.chars();
    match cs.next() {
        Some(c) => c.to_uppercase().chain(cs).collect(),
        None => String::new(),
    }
}

/// The changes of variable `var` from state `i - 1` to state `i`, at most `max` of them (with
/// "… N more" when more changed): the COM-terms lines of the state's `#meta.changes.<var>`
/// when comlife wrote the trace (it writes `summary.<var>` for every actor), otherwise
/// "path: before → after" texts of the ITF values.
pub fn step_changes(t: &Loaded, i: usize, var: &str, max: usize) -> Vec<String> {
    let states = t.states();
    if i == 0 || i >= states.len() {
        return Vec::new();
    }
    if states[i]["#meta"].get(format!("summary.{var}")).is_some() {
        // Written by comlife: the changes in COM terms, when the step changed the actor.
        let ch: Vec<&str> = t
            .state_meta(i, &format!("changes.{var}"))
            .lines()
            .filter(|l| !l.is_empty())
            .collect();
        let mut v: Vec<String> = ch.iter().take(max).map(|l| l.to_string()).collect();
        if ch.len() > max {
            v.push(format!("… {} more", ch.len() - max));
        }
        return v;
    }
    let ch = changes(&states[i - 1][var], &states[i][var]);
    let mut v: Vec<String> = ch
        .iter()
        .take(max)
        .map(|(p, a, b)| {
            if p.is_empty() {
                format!("{a} → {b}")
            } else {
                format!("{p}: {a} → {b}")
            }
        })
        .collect();
    if ch.len() > max {
        v.push(format!("… {} more", ch.len() - max));
    }
    v
}

/// One numbered sentence for step `i` (1-based state index) in COM terms.
pub fn sentence(t: &Loaded, i: usize) -> String {
    let kind = t.state_meta(i, "actionKind");
    let label = t.state_meta(i, "label");
    let actor = t.state_meta(i, "actor");
    let name = |v: &str| the(t.actor_name(v));
    let mut s = match kind {
        // A delivery told as a sentence by the trace (COM's garbage collection's Release for a
        // dead client).
        "deliver" if !t.state_meta(i, "sentence").is_empty() => {
            t.state_meta(i, "sentence").to_string()
        }
        "deliver" => format!(
            "{} receives {} from {}",
            capitalise(&name(actor)),
            label,
            name(t.state_meta(i, "src"))
        ),
        "step" if !t.state_meta(i, "sentence").is_empty() => {
            t.state_meta(i, "sentence").to_string()
        }
        "step" if label.starts_with("calls ") => {
            format!("{} {label}", capitalise(&name(actor)))
        }
        "step" => format!("{}: {label}", capitalise(&name(actor))),
        _ => capitalise(t.state_meta(i, "action")),
    };
    let sent = t.state_meta(i, "sent");
    if !sent.is_empty() {
        // Messages grouped by receiver, in order: "X and Y to server instance 1, and Z to …".
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for l in sent.lines() {
            let (dst, m) = match l.split_once(": ") {
                Some((route, m)) => (
                    the(route.split(" → ").nth(1).unwrap_or(route)),
                    m.to_string(),
                ),
                None => (String::new(), l.to_string()),
            };
            match groups.iter_mut().find(|(d, _)| *d == dst) {
                Some((_, ms)) => ms.push(m),
                None => groups.push((dst, vec![m])),
            }
        }
        let parts: Vec<String> = groups
            .iter()
            .map(|(dst, ms)| {
                if dst.is_empty() {
                    and_list(ms)
                } else {
                    format!("{} to {dst}", and_list(ms))
                }
            })
            .collect();
        let by = match t.state_meta(i, "sentBy") {
            "" => "it",
            who => who,
        };
        write!(s, "; {by} sends {}", parts.join(", and ")).ok();
    }
    // A dead client receives nothing: the reply to COM's Release on its behalf goes nowhere.
    let dead: Vec<String> = t
        .state_meta(i, "repliesToTheDead")
        .lines()
        .map(the)
        .collect();
    if !dead.is_empty() {
        write!(
            s,
            "; no reply reaches {}, which {} died",
            and_list(&dead),
            if dead.len() == 1 { "has" } else { "have" }
        )
        .ok();
    }
    s.push('.');
    if !actor.is_empty() {
        let ch = step_changes(t, i, actor, 6);
        if !ch.is_empty() {
            write!(s, " ({}: {})", name(actor), ch.join("; ")).ok();
        }
    }
    s
}

/// The widest line of a diagram note, in characters, before it is wrapped.
const NOTE_WIDTH: usize = 60;

/// `s` with line breaks between words so that no line is longer than `width` characters
/// (a longer word stays whole).
fn wrap(s: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in s.split(' ') {
        let len = word.chars().count();
        if line > 0 && line + 1 + len > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += len;
    }
    out
}

/// The objects listed in state `i`'s `#meta.<key>` (`objectsCreated`, `objectsDestroyed`):
/// `(owner variable, participant id, name)` per line.
fn object_lines(t: &Loaded, i: usize, key: &str) -> Vec<(String, String, String)> {
    t.state_meta(i, key)
        .lines()
        .filter_map(|l| {
            let mut parts = l.splitn(3, '\t');
            let owner = parts.next()?.to_string();
            let id = mermaid_id(parts.next()?);
            Some((owner, id, parts.next()?.to_string()))
        })
        .collect()
}

/// The object participants of a Mermaid diagram: an object created again after it was
/// destroyed gets a new participant id (`…_2`), since Mermaid cannot revive a participant.
#[derive(Default)]
struct Participants {
    /// Participant ids ever used.
    used: Vec<String>,
    /// Live objects: (object id, participant id).
    live: Vec<(String, String)>,
}

impl Participants {
    fn create(&mut self, id: &str) -> String {
        let mut pid = id.to_string();
        let mut k = 1;
        while self.used.contains(&pid) {
            k += 1;
            pid = format!("{id}_{k}");
        }
        self.used.push(pid.clone());
        self.live.push((id.to_string(), pid.clone()));
        pid
    }

    fn destroy(&mut self, id: &str) -> Option<String> {
        let k = self.live.iter().position(|(o, _)| o == id)?;
        Some(self.live.remove(k).1)
    }
}

/// The title line of a trace: "`prop` violated: local-sta (auto-suspend disabled)"; for a
/// server description's run its name, with the scenario it is checked as: "`prop` violated:
/// my-server, checked as atl14-mta (…)".
pub fn title(t: &Loaded) -> String {
    let h = &t.header;
    let verdict = if t.header.meta.is_example() {
        "example"
    } else {
        "violated"
    };
    let subject = match &h.meta.name {
        Some(name) => format!("{name}, checked as {}", h.cfg.scenario.name()),
        None => h.cfg.scenario.name().to_string(),
    };
    format!(
        "`{}` {verdict}: {subject} ({})",
        h.property.name,
        if h.cfg.toggled.is_empty() {
            "baseline, every mechanism at its default".to_string()
        } else {
            h.cfg.toggled.in_words()
        }
    )
}

/// The relative path of a trace's files below a traces directory, without extension:
/// `<scenario>/<run>/<property>`, with the run's directory name
/// ([`crate::trace::meta::run_name`]).
pub fn stem(t: &Loaded) -> String {
    // A server description's run is filed under the description's name (`#meta.name`).
    let top = t
        .header
        .meta
        .name
        .as_deref()
        .unwrap_or(t.header.cfg.scenario.name());
    format!(
        "{top}/{}/{}",
        crate::trace::meta::run_name(&t.header.cfg, t.header.meta.search()),
        t.header.property.name
    )
}

/// The Markdown page of a trace: header with property, rules and sources, the Mermaid
/// sequence diagram, the numbered narrative and the final state.
pub fn markdown(t: &Loaded) -> String {
    let h = &t.header;
    let p = h.property;
    let states = t.states();
    let n = states.len() - 1;
    let mut md = String::new();
    let w = &mut md;
    writeln!(w, "# {}\n", title(t)).ok();
    writeln!(
        w,
        "{} {} ({n} steps) for the **{}** property `{}`: {}.\n",
        crate::com::names::capitalise(t.header.meta.search().trace_kind()),
        t.header.meta.outcome.as_deref().unwrap_or(""),
        t.header.meta.expectation,
        p.name,
        p.statement
    )
    .ok();
    writeln!(
        w,
        "- Scenario: `{}` with {} clients; mechanisms: {}",
        h.cfg.scenario.name(),
        h.cfg.clients,
        h.cfg.toggled.in_words()
    )
    .ok();
    writeln!(w, "- Rules:").ok();
    for r in p.rules {
        match rule(r) {
            Some(rr) => writeln!(w, "  - {r}: {} — {}", rr.source, source_title(r)).ok(),
            None => writeln!(w, "  - {r} — {}", source_title(r)).ok(),
        };
    }
    writeln!(
        w,
        "- Replay: {}; browse: {} writes the viewer page",
        md_code(&format!("comlife replay traces/{}.itf.json", stem(t))),
        md_code(&format!("comlife trace html traces/{}.itf.json", stem(t)))
    )
    .ok();
    let link = &t.header.meta.explorer;
    // An autolink holds no space, `<` or `>`; anything else is shown as code.
    let link = if link.contains(|c: char| c.is_whitespace() || c == '<' || c == '>') {
        md_code(link)
    } else {
        format!("<{link}>")
    };
    writeln!(
        w,
        "- Explorer: run {}, then open {link}\n",
        md_code(&t.header.meta.explorer_command)
    )
    .ok();

    writeln!(w, "## Sequence diagram\n\n```mermaid\nsequenceDiagram").ok();
    for a in &h.actors {
        writeln!(
            w,
            "    participant {} as {}",
            mermaid_id(a),
            mermaid(t.actor_name(a))
        )
        .ok();
    }
    let mut objects = Participants::default();
    for (_, id, name) in object_lines(t, 0, "objectsCreated") {
        let id = objects.create(&id);
        writeln!(w, "    participant {id} as {}", mermaid(&name)).ok();
    }
    for i in 1..=n {
        let actor = t.state_meta(i, "actor");
        let id = mermaid_id(actor);
        let label = mermaid(t.state_meta(i, "label"));
        let mut note: Vec<String> = step_changes(t, i, actor, 4);
        match t.state_meta(i, "actionKind") {
            "deliver" => {
                let src = mermaid_id(t.state_meta(i, "src"));
                writeln!(w, "    {src}->>{id}: {i}. {label}").ok();
            }
            "step" => note.insert(0, format!("{i}. {}", t.state_meta(i, "label"))),
            _ => {
                let first = mermaid_id(h.actors.first().map_or("", String::as_str));
                writeln!(
                    w,
                    "    Note over {first}: {i}. {}",
                    mermaid(t.state_meta(i, "action"))
                )
                .ok();
            }
        }
        if !note.is_empty() && !actor.is_empty() {
            let lines: Vec<String> = note.iter().map(|l| wrap(l, NOTE_WIDTH)).collect();
            writeln!(w, "    Note over {id}: {}", mermaid(&lines.join("\n"))).ok();
        }
        // Objects are participants: created by their owner, destroyed when freed.
        for (owner, id, name) in object_lines(t, i, "objectsCreated") {
            let id = objects.create(&id);
            writeln!(w, "    create participant {id} as {}", mermaid(&name)).ok();
            writeln!(w, "    {}->>{id}: {i}. creates", mermaid_id(&owner)).ok();
        }
        for (owner, id, _) in object_lines(t, i, "objectsDestroyed") {
            if let Some(id) = objects.destroy(&id) {
                writeln!(w, "    destroy {id}").ok();
                writeln!(w, "    {}-x{id}: {i}. freed", mermaid_id(&owner)).ok();
            }
        }
    }
    if let (Some(first), Some(last)) = (h.actors.first(), h.actors.last()) {
        let mut end = if t.header.meta.is_example() {
            format!("{} holds (example)", p.name)
        } else if t.header.meta.expectation == "eventually" {
            format!("terminal state: {} never held", p.name)
        } else {
            format!("{} violated", p.name)
        };
        if let Some(why) = t.header.meta.why.as_deref().filter(|w| !w.is_empty()) {
            end = format!("{end}:\n{}", wrap(why, NOTE_WIDTH * 2));
        }
        let over = if first == last {
            mermaid_id(first)
        } else {
            format!("{},{}", mermaid_id(first), mermaid_id(last))
        };
        writeln!(w, "    Note over {over}: {}", mermaid(&end)).ok();
    }
    writeln!(w, "```\n\n## Narrative\n").ok();
    for i in 1..=n {
        writeln!(w, "{i}. {}", md_text(&sentence(t, i))).ok();
    }
    let end = if t.header.meta.is_example() {
        format!("The last state satisfies `{}`: {}.", p.name, p.statement)
    } else if t.header.meta.expectation == "eventually" {
        format!(
            "No step is enabled any more and `{}` never held on the way: it is violated ({}).",
            p.name, p.statement
        )
    } else {
        format!("The last state violates `{}`: {}.", p.name, p.statement)
    };
    let why = t.header.meta.why.as_deref().unwrap_or("");
    let why = if why.is_empty() {
        String::new()
    } else if t.header.meta.is_example() {
        format!(" Here {}.", md_text(why))
    } else {
        format!(" Why: {}.", md_text(why))
    };
    writeln!(w, "\n{end}{why}\n\n## Final state\n").ok();
    for a in &h.actors {
        writeln!(
            w,
            "- {}: {}",
            md_text(t.actor_name(a)),
            md_text(t.state_meta(n, &format!("summary.{a}")))
        )
        .ok();
    }
    let net = states[n]["network"].as_array().map_or(0, Vec::len);
    writeln!(w, "- messages in transit: {net}").ok();
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_text_escapes_inline_syntax_and_block_markers() {
        assert_eq!(md_text("CLSID_A's m_dwTimeOut"), "CLSID_A's m_dwTimeOut");
        assert_eq!(
            md_text("*x* [a](b) <script> & `c` | ~d~ #e !f \\g"),
            "\\*x\\* \\[a\\](b) \\<script\\> \\& \\`c\\` \\| \\~d\\~ \\#e \\!f \\\\g"
        );
        assert_eq!(md_text("_a_ b_ _c"), "\\_a\\_ b\\_ \\_c");
        assert_eq!(md_text("- item"), "\\- item");
        assert_eq!(md_text("12. item"), "12\\. item");
        assert_eq!(md_text("# heading"), "\\# heading");
        assert_eq!(md_text("a\nb\tc"), "a b c");
    }

    #[test]
    fn markdown_code_span_outfences_backticks() {
        assert_eq!(md_code("comlife check"), "`comlife check`");
        assert_eq!(md_code("a `b` c"), "``a `b` c``");
        assert_eq!(md_code("`x"), "`` `x ``");
        assert_eq!(md_code("a\nb"), "`a b`");
    }

    #[test]
    fn mermaid_text_cannot_end_a_label_or_inject_markup() {
        assert_eq!(
            mermaid("a;b#c<d>e&f\"g\nh"),
            "a#59;b#35;c#lt;d#gt;e#amp;f#quot;g<br/>h"
        );
        assert_eq!(mermaid("x --> y ->> z"), "x --#gt; y -#gt;#gt; z");
        assert_eq!(mermaid("a\rb"), "a b");
        assert_eq!(mermaid_id("client1"), "client1");
        assert_eq!(mermaid_id("a-->b; Note over x: #"), "abNoteoverx");
    }
}
