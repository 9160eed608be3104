//! The library's documentation: every public function of a public module shows how it is used,
//! with a runnable example of its own or a pointer to the example that uses it.

use crate::support::rust_files;
use std::path::Path;

/// Modules that are crate-private (their `pub fn`s are not part of the library's API), and
/// the binary's own code.
const NOT_PUBLIC: [&str; 14] = [
    "src/main.rs",
    "src/cli/",
    "src/forward/fixed_point/",
    "src/runtime/parallel.rs",
    "src/enumerate/neighbour.rs",
    "src/network/protobuf.rs",
    "src/network/onnx/build.rs",
    "src/network/onnx/lower.rs",
    "src/lp/boxed/",
    "src/lp/good_lp_backend.rs",
    "src/forward/symbolic/",
    "src/kernel/tests.rs",
    "src/kernel/float_box.rs",
    "src/exact/simplex/tests.rs",
];

/// The public functions whose doc comment has neither an example nor a pointer to one.
fn undocumented(relative: &str, text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut missing = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            break; // unit tests follow
        }
        let Some(rest) = trimmed.strip_prefix("pub fn ") else { continue };
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let doc: Vec<&str> = lines[..i]
            .iter()
            .rev()
            .map(|l| l.trim_start())
            .take_while(|l| l.starts_with("///") || l.starts_with("#["))
            .collect();
        let shown = doc.iter().any(|l| l.starts_with("/// ```") || l.starts_with("/// See the example on ["));
        if !shown {
            missing.push(format!("{relative}:{}: {name}", i + 1));
        }
    }
    missing
}

#[test]
fn every_public_function_has_an_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    files.sort();
    let mut missing = Vec::new();
    let mut checked = 0;
    for path in files {
        let relative = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
        if NOT_PUBLIC.iter().any(|p| relative.starts_with(p)) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        checked += text.matches("pub fn ").count();
        missing.extend(undocumented(&relative, &text));
    }
    assert!(checked > 150, "only {checked} public functions found: is the source tree there?");
    assert!(missing.is_empty(), "public functions without an example:\n{}", missing.join("\n"));
}

/// The audit itself tells a documented function from an undocumented one.
#[test]
fn the_audit_sees_a_missing_example() {
    let text = "/// Adds.\n///\n/// ```\n/// assert_eq!(1 + 1, 2);\n/// ```\npub fn add() {}\n\n/// Subtracts.\npub fn sub() {}\n\n/// Twice.\n///\n/// See the example on [`add`].\n#[inline]\npub fn twice() {}\n";
    assert_eq!(undocumented("x.rs", text), ["x.rs:9: sub"]);
}
