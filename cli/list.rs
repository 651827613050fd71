//! `comlife list`: scenarios, runtimes, mechanisms, properties and the built-in server
//! descriptions.

use comlife::com::runtime::Runtime;
use comlife::com::scenario::Scenario;
use comlife::com::toggles::Toggle;
use comlife::description::builtin::BUILTIN;
use comlife::verify::properties::{expectation_name, PROPERTIES};
use std::process::ExitCode;

/// Prints the lists as text, JSON or Markdown.
pub fn print(json: bool, markdown: bool) -> ExitCode {
    if json {
        let v = serde_json::json!({
            "scenarios": Scenario::ALL.iter().map(|s| serde_json::json!({
                "name": s.name(), "description": s.description(),
                "source": s.source()})).collect::<Vec<_>>(),
            "runtimes": Runtime::ALL.iter().map(|r| serde_json::json!({
                "name": r.name(), "description": r.about(),
                "matrix_scenarios": Scenario::ALL.iter().filter(|s| r.in_matrix(**s) && r.refuses_scenario(**s).is_none()).map(|s| s.name()).collect::<Vec<_>>(),
                "pins": r.pins().iter().map(|p| serde_json::json!({
                    "toggle": p.toggle.name(), "on": p.on, "why": p.why})).collect::<Vec<_>>(),
                "inert": r.inert_toggles().iter().map(|i| serde_json::json!({
                    "toggle": i.toggle.name(), "why": i.why})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "mechanisms": Toggle::ALL.iter().map(|m| serde_json::json!({
                "name": m.name(), "source": m.source(), "rules": m.rules(),
                "default": if m.opt_in() { "off" } else { "on" },
                "kind": m.kind().name(),
                "scenarios": Scenario::ALL.iter().filter(|s| m.applies_to(**s)).map(|s| s.name()).collect::<Vec<_>>(),
                "when_toggled": m.when_toggled()})).collect::<Vec<_>>(),
            "properties": PROPERTIES.iter().map(|p| serde_json::json!({
                "name": p.name, "expectation": expectation_name(&p.expectation),
                "rules": p.rules, "statement": p.statement,
                "scenarios": Scenario::ALL.iter().filter(|s| (p.applies)(**s)).map(|s| s.name()).collect::<Vec<_>>()
            })).collect::<Vec<_>>(),
            "descriptions": BUILTIN.iter().map(|(n, _)| serde_json::json!({
                "name": n, "path": format!("spec/scenarios/{n}.toml")})).collect::<Vec<_>>(),
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&v).expect("serialisable")
        );
    } else if markdown {
        print!("{}", comlife::verify::tables::markdown());
    } else {
        println!("scenarios:");
        for s in Scenario::ALL {
            println!("  {:<26} {}", s.name(), s.description());
            println!("  {:<26} source: {}", "", s.source());
        }
        println!("runtimes (--runtime NAME; a description's runtime = \"NAME\"):");
        for r in Runtime::ALL {
            println!("  {:<26} {}", r.name(), r.about());
            let pinned: Vec<String> = r
                .pins()
                .iter()
                .map(|p| format!("{} {}", p.toggle.name(), if p.on { "on" } else { "off" }))
                .collect();
            if !pinned.is_empty() {
                println!("  {:<26} fixes: {}", "", pinned.join(", "));
            }
            let inert: Vec<&str> = r.inert_toggles().iter().map(|i| i.toggle.name()).collect();
            if !inert.is_empty() {
                println!("  {:<26} makes no difference to: {}", "", inert.join(", "));
            }
        }
        println!("mechanisms (--disable NAME; remedies and variants: --enable NAME):");
        for m in Toggle::ALL {
            let default = if m.opt_in() { "off" } else { "on" };
            println!(
                "  {:<30} {:<9} {default:<4} {}",
                m.name(),
                m.kind().name(),
                m.source()
            );
        }
        println!("properties:");
        for p in PROPERTIES {
            println!(
                "  {:<26} {:<10} {}",
                p.name,
                expectation_name(&p.expectation),
                p.rules.join(", ")
            );
        }
        println!(
            "built-in server descriptions (comlife new --from NAME; comlife check FILE.toml):"
        );
        for (n, _) in BUILTIN {
            println!("  {n:<26} spec/scenarios/{n}.toml");
        }
    }
    ExitCode::SUCCESS
}
