//! `check`: an answer (`regions --json`, with its graph) or an unsat proof checked in exact
//! arithmetic, until the command's stop token fires (then `INCOMPLETE`, exit code 3).

use super::args::{NetArgs, ThreadArgs};
use super::commands::read_property;
use super::{output_error, BadInput, EXIT_FAILED};
use relu_regions::check::stream::{check_reader, Refused};
use relu_regions::check::{check_answer, CheckOptions};
use relu_regions::export::provenance::Provenance;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// Most failure lines printed by `check` (the count of the rest follows).
const MAX_FAILURE_LINES: usize = 50;

/// Reads a JSON output given to `check` (a `regions --jsonl` stream as the document it stands
/// for), refusing one made for another network, format, `--coords` or domain before any work.
fn read_output(path: &Path, here: &Provenance) -> Result<serde_json::Value, BadInput> {
    // a big answer takes a while to parse: the command's token stops the wait
    let owned = path.to_path_buf();
    let doc = super::stop::until_stopped(&format!("reading {}", path.display()), move || {
        let text = std::fs::read_to_string(&owned)
            .map_err(|e| BadInput(anyhow::anyhow!("cannot read {}: {e}", owned.display())))?;
        relu_regions::check::lines::read_document(&text)
            .map_err(|e| BadInput(anyhow::anyhow!("{}: {e}", owned.display())))
    })?;
    compare_provenance(path, &doc, here)?;
    Ok(doc)
}

/// Refuses an output made for another network, format, `--coords` or domain (its
/// `provenance`); warns when it records none.
fn compare_provenance(path: &Path, doc: &serde_json::Value, here: &Provenance) -> Result<(), BadInput> {
    match doc.get("provenance") {
        Some(p) => {
            let recorded: Provenance = serde_json::from_value(p.clone())
                .map_err(|e| BadInput(anyhow::anyhow!("{}: malformed `provenance`: {e}", path.display())))?;
            // every field of it is compared (`tool` aside): none may be unknown
            let known = ["tool", "network_sha256", "input_format", "coords", "domain", "notes"];
            if let Some(key) = p.as_object().and_then(|m| m.keys().find(|k| !known.contains(&k.as_str()))) {
                return Err(BadInput(anyhow::anyhow!(
                    "{}: `provenance` has a field `{key}` that the format does not have",
                    path.display()
                )));
            }
            let notes_differ = (recorded.notes != here.notes)
                .then(|| "the network was read with other notes (`provenance.notes`)".to_string());
            if let Some(why) = here.mismatch(&recorded).or(notes_differ) {
                let hint = if recorded.coords != here.coords {
                    format!(" (give --coords {})", recorded.coords)
                } else {
                    String::new()
                };
                return Err(BadInput(anyhow::anyhow!(
                    "{} does not belong to this run: {why}{hint}",
                    path.display()
                )));
            }
        }
        None => eprintln!(
            "warning: {} records no provenance: its network and domain cannot be compared",
            path.display()
        ),
    }
    Ok(())
}

/// `check`: the whole answer, in exact arithmetic.
pub(crate) fn check(
    input: &NetArgs,
    threads: &ThreadArgs,
    regions: &Path,
    graph: Option<&Path>,
    partial: bool,
) -> Result<ExitCode, BadInput> {
    let net = input.load()?;
    let here = input.provenance(&net)?;
    let options = CheckOptions { partial, threads: threads.count() };
    // the command's token: the checker gives up what it had not finished when it fires
    let token = super::stop::token();
    let (report, total, complete) = match graph {
        // with the graph, both documents whole (a node is compared with its region)
        Some(graph) => {
            let doc = read_output(regions, &here)?;
            let graph = read_output(graph, &here)?;
            let _stop = token.install();
            let report = check_answer(&net, &doc, Some(&graph), options);
            let total = doc.get("regions").and_then(serde_json::Value::as_array).map_or(0, Vec::len);
            (report, total, doc.get("complete").and_then(serde_json::Value::as_bool))
        }
        // without it, read as it goes (a region at a time)
        None => {
            let file = std::fs::File::open(regions)
                .map_err(|e| BadInput(anyhow::anyhow!("cannot read {}: {e}", regions.display())))?;
            let mut complete = None;
            let mut refused = None;
            let mut on_header = |header: &serde_json::Value| {
                complete = header.get("complete").and_then(serde_json::Value::as_bool);
                compare_provenance(regions, header, &here).map_err(|e| {
                    let message = e.0.to_string();
                    refused = Some(e);
                    message
                })
            };
            let _stop = token.install();
            let read = check_reader(&net, std::io::BufReader::new(file), options, &mut on_header);
            match read {
                Ok((report, total)) => (report, total, complete),
                Err(Refused::Header(_)) => return Err(refused.expect("the header was refused here")),
                Err(Refused::Unreadable(e)) => {
                    return Err(BadInput(anyhow::anyhow!("{}: {e}", regions.display())))
                }
            }
        }
    };
    let mut out = std::io::stdout().lock();
    write_failures(&mut out, &report.failures)?;
    if let Some(reason) = token.reason().filter(|_| report.failures.is_empty()) {
        return stopped_check(&mut out, reason, &format!("{} of {total} regions", report.regions));
    }
    if !partial && complete != Some(true) {
        writeln!(out, "(give --partial to check the regions of a partial answer)").map_err(output_error)?;
    }
    let scope = if partial {
        "the listed regions (partial answer: coverage not checked)"
    } else {
        "the whole answer"
    };
    let verdict = if report.failures.is_empty() {
        format!("every check holds on {scope}")
    } else {
        "CHECK FAILED".to_string()
    };
    let edges = if graph.is_some() { format!(", {} edges", report.edges) } else { String::new() };
    writeln!(
        out,
        "checked {} regions, {} inequalities{edges}: {verdict}",
        report.regions, report.inequalities
    )
    .map_err(output_error)?;
    Ok(if report.failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_FAILED) })
}

/// `check NET PROOF --property PROP`: an unsat certificate checked.
pub(crate) fn check_proof(input: &NetArgs, proof: &Path, property: &Path) -> Result<ExitCode, BadInput> {
    let net = input.load()?;
    let property = read_property(&net, property)?;
    let text = std::fs::read_to_string(proof)
        .map_err(|e| BadInput(anyhow::anyhow!("cannot read {}: {e}", proof.display())))?;
    let doc: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| BadInput(anyhow::anyhow!("{}:{}:{}: {e}", proof.display(), e.line(), e.column())))?;
    let token = super::stop::token();
    let report = {
        let _stop = token.install();
        relu_regions::check::proof::check_proof(&net, &property, &doc)
    };
    let mut out = std::io::stdout().lock();
    if let Some(reason) = token.reason() {
        // a failure met after the stop may be the stop's (a solve that gave up): none is shown
        return stopped_check(&mut out, reason, &format!("{} leaves", report.regions));
    }
    write_failures(&mut out, &report.failures)?;
    let verdict = if report.failures.is_empty() {
        format!(
            "every check holds: {} leaves cover the box and miss the unsafe set (unsat proved)",
            report.regions
        )
    } else {
        "CHECK FAILED".to_string()
    };
    writeln!(out, "{verdict}").map_err(output_error)?;
    Ok(if report.failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_FAILED) })
}

/// A check the token stopped: what was checked, marked incomplete (exit code 3).
fn stopped_check(
    out: &mut impl Write,
    reason: relu_regions::StopReason,
    checked: &str,
) -> Result<ExitCode, BadInput> {
    writeln!(out, "INCOMPLETE: the check stopped ({reason}) after {checked}: nothing is proved yet")
        .map_err(output_error)?;
    eprintln!("warning: INCOMPLETE check: stopped ({reason}); run it again without the limit");
    Ok(ExitCode::from(super::EXIT_INCOMPLETE))
}

/// The checker's failures, one line each (the first `MAX_FAILURE_LINES`, then how many more).
fn write_failures(out: &mut impl Write, failures: &[relu_regions::check::Failure]) -> Result<(), BadInput> {
    for f in failures.iter().take(MAX_FAILURE_LINES) {
        let at = f.region.map_or("answer".to_string(), |r| format!("region {r}"));
        writeln!(out, "FAIL {at}: {}", f.message).map_err(output_error)?;
    }
    if failures.len() > MAX_FAILURE_LINES {
        writeln!(out, "... and {} more failures", failures.len() - MAX_FAILURE_LINES)
            .map_err(output_error)?;
    }
    Ok(())
}
