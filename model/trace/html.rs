//! A trace as one self-contained HTML page: the viewer (viewer.html, beside this file) with the
//! ITF document, the property's rules and the title inlined, no network access. The Markdown
//! page is [`crate::trace::narrative::markdown`]; both render a [`Loaded`] trace.

use crate::com::rules::{rule, source_title};
use crate::trace::narrative::title;
use crate::trace::replay::Loaded;
use serde_json::json;

/// The viewer page; `__TITLE__` and `__TRACE_DATA__` are filled in by [`page`].
const VIEWER: &str = include_str!("viewer.html");

/// Text for HTML, in an element's content or a quoted attribute value: `&`, `<`, `>`, `"`
/// and `'` as character references. The one HTML escaper of the page; everything else the
/// viewer shows it sets as text (`textContent`), from the inlined JSON.
pub fn html_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// The trace's data as JSON to inline in the page's `<script>` element: every `<` written
/// as the JSON escape `\u003c` (the same string to the parser), so no text in it can end the
/// element (`</script>`) or open a comment (`<!--`).
pub fn script_json(data: &serde_json::Value) -> String {
    serde_json::to_string(data)
        .expect("JSON values serialise")
        .replace('<', "\\u003c")
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
    let data = script_json(&data);
    // Filled in one pass, so that neither text can bring in the other's placeholder.
    let (head, rest) = VIEWER
        .split_once("__TITLE__")
        .expect("the viewer has a title");
    let (middle, tail) = rest
        .split_once("__TRACE_DATA__")
        .expect("the viewer has its data after the title");
    format!(
        "{head}{}{middle}{data}{tail}",
        html_escape(&title(t).replace('`', ""))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_text_is_escaped() {
        assert_eq!(
            html_escape("<b a=\"x\" c='y'>&amp;</b>"),
            "&lt;b a=&quot;x&quot; c=&#39;y&#39;&gt;&amp;amp;&lt;/b&gt;"
        );
        assert_eq!(html_escape("CLSID_A"), "CLSID_A");
    }

    #[test]
    fn inlined_json_cannot_end_the_script_element() {
        let v = json!({"name": "</script><script>alert(1)</script><!--"});
        let s = script_json(&v);
        assert!(!s.contains('<'), "{s}");
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }
}
