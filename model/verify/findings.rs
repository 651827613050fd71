//! The findings of spec/findings.md (`F-n`: what the model shows that the source documents do
//! not say), read from the file's `## F-n: title` headings, so that each finding's title has
//! one place: the document that explains it. spec/expectations.toml's `[findings]` table says
//! which pinned violation each finding explains ([`crate::verify::expectations`]).

/// spec/findings.md, as embedded at build time.
pub const FINDINGS_MD: &str = include_str!("../../spec/findings.md");

/// The title of the finding `id` ("F-4"): the text after "F-n: " in its `## F-n: title`
/// heading in spec/findings.md. `None` when no heading names `id`, or when the finding is
/// withdrawn (its heading reads `## F-n (withdrawn…): title`).
pub fn title(id: &str) -> Option<&'static str> {
    FINDINGS_MD.lines().find_map(|line| {
        let rest = line.strip_prefix("## ")?.strip_prefix(id)?;
        rest.strip_prefix(": ").map(str::trim)
    })
}

#[cfg(test)]
mod tests {
    use super::title;
    use crate::verify::expectations::Expectations;

    #[test]
    fn every_pinned_finding_has_a_title() {
        for (s, t, p, id) in Expectations::embedded().findings() {
            assert!(
                title(id).is_some_and(|t| !t.is_empty()),
                "{id} (named for {}.{}.{p}) has no '## {id}: title' heading in spec/findings.md",
                s.name(),
                t.label()
            );
        }
    }

    #[test]
    fn withdrawn_and_unknown_findings_have_no_title() {
        assert_eq!(title("F-2"), None, "F-2 is withdrawn");
        assert_eq!(title("F-99"), None);
        // "F-1" must not match the heading of F-10.
        assert_ne!(title("F-1"), title("F-10"));
        assert!(title("F-4").is_some_and(|t| t.contains("final release")));
    }
}
