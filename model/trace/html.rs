//! A trace as one self-contained HTML page: the viewer (viewer.html, beside this file) with the
//! ITF document, the property's rules and the title inlined, no network access. The Markdown
//! page is [`crate::trace::narrative::markdown`]; both render a [`Loaded`] trace.

use crate::com::rules::{rule, source_title};
use crate::trace::narrative::title;
use crate::trace::replay::Loaded;
use serde_json::json;

/// The viewer page; `__TITLE__` and `__TRACE_DATA__` are filled in by [`page`].
const VIEWER: &str = include_str!("viewer.html");

/// Escapes text for an HTML element's content.
fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The HTML page of a loaded trace: the viewer with the ITF document, the property's rules
/// (ID, text, section and source file) and the title inlined as JSON.
pub fn page(t: &Loaded) -> String {
    let rules: Vec<serde_json::Value> = t
        .header
        .property
        .rules
        .iter()
        .map(|id| {
            let r = rule(id);
            json!({
                "id": id,
                "text": r.map_or("", |r| r.text),
                "source": r.map_or("", |r| r.source),
                "file": source_title(id),
            })
        })
        .collect();
    let data = json!({
        "title": title(t).replace('`', ""),
        "rules": rules,
        "itf": t.doc,
    });
    // Inside <script>, "</" could end the element: JSON allows "<" only in strings, where
    // the escape \u003c means the same.
    let data = serde_json::to_string(&data)
        .expect("JSON values serialise")
        .replace('<', "\\u003c");
    VIEWER
        .replace("__TITLE__", &html_escape(&title(t).replace('`', "")))
        .replace("__TRACE_DATA__", &data)
}
