//! `hotline ivr check`: the documented example passes against the example center; a
//! broken flow is every problem by file, line and field (exit 1); a missing file is one
//! line (exit 2).

use std::path::Path;

use crate::{hotline, stderr, stdout};

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .display()
        .to_string()
}

#[test]
fn the_example_flow_checks_against_the_example_center() {
    let dir = tempfile::tempdir().unwrap();
    let flow = repo("flows/example.toml");
    let out = hotline(
        dir.path(),
        &["ivr", "check", &flow, "--config", &repo("config/center.toml")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("flow \"main\" is valid:") && text.contains("from \"welcome\""),
        "{text}"
    );
    assert!(
        text.contains("callback from sales, hang up, queue sales, queue support, voicemail of sales"),
        "{text}"
    );
}

#[test]
fn a_broken_flow_is_every_problem_by_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        r#"[flow]
name = "bad"
start = "menu"

[nodes.menu]
type = "menu"
prompt = "Press 1."
options = { "1" = "salse" }
on_failure = "agent"

[nodes.agent]
type = "transfer"
queue = "nowhere"
"#,
    )
    .unwrap();
    let out = hotline(dir.path(), &["ivr", "check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    let file = path.display();
    assert!(
        err.contains(&format!(
            "{file}:8:19: nodes.menu.options.1: no node `salse` in this flow"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{file}:13:9: nodes.agent.queue: no queue `nowhere` in the center's configuration"
        )),
        "{err}"
    );
    assert!(err.contains("2 problems; the flow would not load"), "{err}");

    let out = hotline(dir.path(), &["ivr", "check", "missing.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing.toml: cannot read the flow"), "{}", stderr(&out));
}
