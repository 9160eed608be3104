//! Issue 35: `check` tells a `regions --json` document from a `--jsonl` stream by its first
//! value, never by its first line, so a document written on one line (Python's `json.dump`)
//! is streamed region by region like the pretty one (tests/memory bounds its peak), with the
//! same verdict; inputs that are neither give an error naming the file and the position.

use crate::check::answers::scratch;
use crate::cli::fixtures::run_cli;
use serde_json::Value;
use std::path::Path;

/// `check NET FILE`: exit code, stdout, stderr.
fn check(net: &str, file: &Path) -> (Option<i32>, String, String) {
    let out = run_cli(&["check", net, file.to_str().unwrap(), "--threads", "1"]);
    (out.status.code(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

/// The answer of `regions NET --json` (pretty) and `--jsonl`.
fn answers(net: &str) -> (String, String) {
    let run = |form: &str| String::from_utf8(run_cli(&["regions", net, form]).stdout).unwrap();
    (run("--json"), run("--jsonl"))
}

/// A correct answer and a damaged one (a region left out) pass and fail alike written pretty,
/// on one line, with blank lines and carriage returns around it, and as a stream (with blank
/// lines between its lines).
#[test]
fn one_line_pretty_and_streamed_answers_give_one_verdict() {
    let dir = scratch("one-line");
    for net in ["fixtures/seed.json", "fixtures/deep2d.json"] {
        let (pretty, lines) = answers(net);
        let mut doc: Value = serde_json::from_str(&pretty).unwrap();
        let mut damaged = doc.clone();
        damaged["regions"].as_array_mut().unwrap().remove(1);
        for (name, doc, pass) in [("whole", &mut doc, true), ("damaged", &mut damaged, false)] {
            let compact = serde_json::to_string(doc).unwrap();
            assert!(!compact.contains('\n'));
            let pretty = serde_json::to_string_pretty(doc).unwrap();
            let mut forms = vec![
                ("pretty", pretty.clone()),
                ("compact", compact.clone()),
                ("spaced", format!("\r\n\n  {compact}\r\n\n")),
            ];
            if pass {
                let blank: String = lines.lines().map(|l| format!("{l}\n\n")).collect();
                forms.extend([("lines", lines.clone()), ("blank lines", blank)]);
            }
            let mut seen = Vec::new();
            for (form, text) in forms {
                let file = dir.join(format!("{name}-{form}.json"));
                std::fs::write(&file, text).unwrap();
                let (code, stdout, stderr) = check(net, &file);
                assert_eq!(code, Some(if pass { 0 } else { 1 }), "{net} {name} {form}: {stdout}{stderr}");
                seen.push(stdout);
            }
            assert!(seen.iter().all(|s| s == &seen[0]), "{net} {name}: {seen:?}");
        }
    }
}

/// What is neither one document nor a stream of lines is refused with exit code 2 and a
/// message naming the file and where: a document cut short, trailing characters on its line,
/// a second value after the document, a stream whose first line is an array or whose first
/// value spans lines, a bad line (numbered with the blank lines), an empty file.
#[test]
fn hostile_answers_are_refused_with_the_position() {
    let dir = scratch("hostile");
    let net = "fixtures/deep2d.json";
    let (pretty, lines) = answers(net);
    let compact = serde_json::to_string(&serde_json::from_str::<Value>(&pretty).unwrap()).unwrap();
    let pretty_lines = pretty.lines().count();
    let line: Vec<&str> = lines.lines().collect();
    let first_pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<Value>(line[0]).unwrap()).unwrap();
    let cases: Vec<(&str, String, String)> = vec![
        ("cut", compact[..compact.len() - 40].to_string(), "EOF while parsing".into()),
        ("cut-pretty", pretty[..pretty.len() / 2].to_string(), "EOF while parsing".into()),
        (
            "trailing",
            format!("{compact}  x"),
            format!("trailing characters at line 1 column {}", compact.len() + 3),
        ),
        (
            "second value",
            format!("{pretty}\n\n{compact}\n"),
            format!(
                "line {}: another JSON value after the one on lines 1-{pretty_lines}",
                format!("{pretty}\n\n").lines().count() + 1
            ),
        ),
        ("array first", format!("[1, 2]\n{lines}"), "at line 1 column 1".into()),
        ("array", "[]".into(), "at line 1 column 1".into()),
        (
            "pretty first line",
            format!("{first_pretty}\n{}\n", line[1..].join("\n")),
            format!("another JSON value after the one on lines 1-{}", first_pretty.lines().count()),
        ),
        (
            "bad line",
            format!("{}\n\n\n{{oops\n{}\n", line[..2].join("\n"), line[2..].join("\n")),
            "line 5:".into(),
        ),
        ("empty", String::new(), "EOF while parsing a value at line 1 column 0".into()),
        ("blank", "\n \n".into(), "EOF while parsing a value at line 3 column 0".into()),
    ];
    for (name, text, position) in cases {
        let file = dir.join(format!("{name}.json"));
        std::fs::write(&file, &text).unwrap();
        let (code, stdout, stderr) = check(net, &file);
        assert_eq!(code, Some(2), "{name}: {stdout}{stderr}");
        assert!(stderr.contains(file.to_str().unwrap()) && stderr.contains(&position), "{name}: {stderr}");
        assert!(!stdout.contains("every check holds"), "{name}: {stdout}");
    }
}
