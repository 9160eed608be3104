//! A `regions --jsonl` stream read as the `regions --json` document it stands for, so that
//! `check` proves it the same way: its region lines, then its summary line's `complete`,
//! `input_dim` and `provenance`. The summary's `regions` must count the region lines (a
//! stream cut short or spliced is not a document).

use serde_json::{json, Value};

/// The keys of the summary line.
const SUMMARY: &[&str] = &["regions", "complete", "input_dim", "provenance"];

/// The document `text` holds: one JSON document, or a stream read as the document it stands
/// for ([`document_from_lines`]); the error says why it cannot be read.
///
/// See the example on [`document_from_lines`].
pub fn read_document(text: &str) -> Result<Value, String> {
    if is_lines(text) {
        document_from_lines(text)
    } else {
        serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))
    }
}

/// Whether `text` is a JSON Lines stream of regions rather than one JSON document: several
/// lines, or one line holding only a summary.
///
/// See the example on [`document_from_lines`].
pub fn is_lines(text: &str) -> bool {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let Some(first) = lines.next() else { return false };
    let one: Option<Value> = serde_json::from_str(first).ok();
    let summary_only =
        one.as_ref().and_then(Value::as_object).is_some_and(|m| m.len() == 1 && m.contains_key("summary"));
    summary_only || (one.is_some() && lines.next().is_some() && serde_json::from_str::<Value>(text).is_err())
}

/// The document a stream stands for; the error names the line.
///
/// # Examples
/// ```
/// use relu_regions::check::lines::{document_from_lines, is_lines};
/// let text = "{\"id\": 0, \"pattern\": [\"1\"]}\n{\"summary\": {\"regions\": 1, \"complete\": true, \"input_dim\": 1, \"provenance\": null}}\n";
/// assert!(is_lines(text));
/// let doc = document_from_lines(text).unwrap();
/// assert_eq!(relu_regions::check::lines::read_document(text).unwrap(), doc);
/// assert_eq!(doc["regions"][0]["pattern"][0], "1");
/// assert_eq!((doc["complete"].as_bool(), doc["input_dim"].as_u64()), (Some(true), Some(1)));
/// // a stream whose summary does not count its lines is refused
/// assert!(document_from_lines(&text.replace("\"regions\": 1", "\"regions\": 2")).unwrap_err().contains("line 2"));
/// ```
pub fn document_from_lines(text: &str) -> Result<Value, String> {
    let mut regions = Vec::new();
    let mut summary = None;
    for (k, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let number = k + 1;
        if summary.is_some() {
            return Err(format!("line {number}: a line after the summary"));
        }
        let value: Value = serde_json::from_str(line).map_err(|e| format!("line {number}: {e}"))?;
        match value.get("summary") {
            Some(s) => {
                let Some(map) = s.as_object() else {
                    return Err(format!("line {number}: `summary` is not an object"));
                };
                if let Some(key) = map.keys().find(|k| !SUMMARY.contains(&k.as_str())) {
                    return Err(format!(
                        "line {number}: the summary has a field `{key}` that the format does not have"
                    ));
                }
                if s.get("regions").and_then(Value::as_u64) != Some(regions.len() as u64) {
                    return Err(format!(
                        "line {number}: the summary's `regions` is {}, but the stream lists {} regions",
                        s.get("regions").map_or("absent".into(), Value::to_string),
                        regions.len()
                    ));
                }
                summary = Some((number, s.clone()));
            }
            None => regions.push(value),
        }
    }
    let Some((_, s)) = summary else { return Err("no summary line (the stream was cut short)".into()) };
    let mut doc = json!({"regions": regions});
    for key in ["complete", "input_dim", "provenance"] {
        match s.get(key) {
            Some(Value::Null) | None => {}
            Some(v) => doc[key] = v.clone(),
        }
    }
    Ok(doc)
}
