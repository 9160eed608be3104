//! The layering of the library, enforced: `docs/architecture.md` lists the layers bottom to top
//! (one folder of `src/` each, the one source of the table); a module may import only from its
//! own layer and the layers below it, and the checker may not import the prover. Every `use
//! crate::` and `crate::` path of the library's code is read (comments and `#[cfg(test)]`
//! modules excluded: a unit test may drive a lower module with a higher one).

use crate::support::rust_files;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One layer of the table: its rank (0 is the bottom), name, and the layers it may not import
/// although they are below it.
struct Layer {
    rank: usize,
    forbidden: Vec<String>,
}

/// Reads the table of `docs/architecture.md`: the lines `N. `name` ...`, with an optional
/// `(may not import: a, b)`.
fn layer_table() -> BTreeMap<String, Layer> {
    let text = std::fs::read_to_string(root().join("docs/architecture.md")).unwrap();
    let mut table = BTreeMap::new();
    for line in text.lines() {
        let Some((number, rest)) = line.split_once(". `") else { continue };
        let Ok(rank) = number.trim().parse::<usize>() else { continue };
        let name = rest.split('`').next().unwrap().to_string();
        let forbidden = rest
            .split_once("(may not import: ")
            .map(|(_, list)| {
                list.split(')').next().unwrap().split(", ").map(|s| s.trim_matches('`').to_string()).collect()
            })
            .unwrap_or_default();
        table.insert(name, Layer { rank, forbidden });
    }
    assert!(table.len() >= 10, "the layer table of docs/architecture.md has {} entries", table.len());
    table
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The top-level module a file of `src/` belongs to (`lib` and `main` for the crate roots).
fn owner(path: &Path) -> String {
    let rel = path.strip_prefix(root().join("src")).unwrap();
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy().to_string();
    match first.trim_end_matches(".rs") {
        "main" => "cli".to_string(), // the binary's root belongs to the command-line layer
        other => other.to_string(),
    }
}

/// The code of a file without comments and without its trailing `#[cfg(test)] mod tests`.
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy();
    if name == "tests.rs" || name.ends_with("_tests.rs") {
        return String::new();
    }
    let mut code = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]")
            && lines.peek().is_some_and(|l| l.trim_start().starts_with("mod tests"))
        {
            break;
        }
        let without_comment = match trimmed.find("//") {
            Some(i) => &trimmed[..i],
            None => trimmed,
        };
        code.push_str(without_comment);
        code.push('\n');
    }
    code
}

/// Every top-level module a piece of code names through `crate::` (also inside `use
/// crate::{a, b::c}` groups).
fn imports(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            for item in inner.split(',') {
                let name: String =
                    item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                found.push(name);
            }
        } else {
            found.push(after.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect());
        }
        rest = after;
    }
    found.retain(|n| n.chars().next().is_some_and(|c| c.is_lowercase()));
    found
}

#[test]
fn no_module_imports_from_a_higher_layer_and_the_checker_not_from_the_prover() {
    let table = layer_table();
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut violations = Vec::new();
    for file in &files {
        let from = owner(file);
        if from == "lib" {
            continue; // the crate root re-exports the API from every layer
        }
        let Some(layer) = table.get(&from) else {
            violations
                .push(format!("{}: module `{from}` is in no layer of docs/architecture.md", file.display()));
            continue;
        };
        for to in imports(&code_of(file)) {
            let Some(target) = table.get(&to) else { continue };
            if target.rank > layer.rank || layer.forbidden.contains(&to) {
                violations.push(format!(
                    "{}: `{from}` (layer {}) imports `{to}` (layer {})",
                    file.display(),
                    layer.rank,
                    target.rank
                ));
            }
        }
    }
    assert!(violations.is_empty(), "upward or forbidden imports:\n{}", violations.join("\n"));
}

#[test]
fn src_holds_only_the_crate_roots_and_layer_folders_without_path_attributes_or_long_files() {
    let table = layer_table();
    let mut loose = Vec::new();
    for entry in std::fs::read_dir(root().join("src")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let allowed = if path.is_dir() {
            table.contains_key(&name)
        } else {
            ["lib.rs", "main.rs", "error.rs"].contains(&name.as_str())
        };
        if !allowed {
            loose.push(name);
        }
    }
    assert!(loose.is_empty(), "src/ holds what is neither a crate root nor a layer folder: {loose:?}");
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    rust_files(&root().join("tests"), &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let path_attribute = concat!("#[", "path");
        assert!(!text.contains(path_attribute), "{} uses a path attribute", file.display());
        let lines = text.lines().count();
        assert!(lines <= 500, "{} has {lines} lines (500 at most)", file.display());
    }
}
