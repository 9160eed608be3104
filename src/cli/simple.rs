//! The commands that print what one library call returns, without a job of their own: `graph`,
//! `verify`, `convert`, `completions` and `man`, and the plot's drawing options. `main.rs`'s
//! `run` only starts the stop token and dispatches here, to [`super::commands`] and to the other
//! command modules.

use super::args::{NetArgs, RunArgs};
use super::render::report_incomplete;
use super::{exit_code, output_error, BadInput, EXIT_FAILED};
use crate::{Cli, ColorArg, ConvertFormat, GraphFormat, LabelsArg};
use clap::CommandFactory;
use relu_regions::analysis::analyze;
use relu_regions::export::json;
use relu_regions::export::svg::{ColorBy, SvgOptions};
use relu_regions::jobs;
use relu_regions::network;
use relu_regions::queries::verify::{verify, Expectations};
use std::io::Write;
use std::process::ExitCode;

/// `graph`: the regions' adjacency graph as DOT or JSON, written a node or an edge at a time.
pub(crate) fn graph(
    input: &NetArgs,
    run: &RunArgs,
    format: GraphFormat,
    labels: LabelsArg,
) -> Result<ExitCode, BadInput> {
    let net = input.load()?;
    let form = match format {
        GraphFormat::Dot => jobs::GraphForm::Dot { exact_labels: matches!(labels, LabelsArg::Exact) },
        GraphFormat::Json => jobs::GraphForm::Json,
    };
    let out = std::io::BufWriter::new(std::io::stdout().lock());
    let (summary, written) =
        jobs::write_graph(&net, &run.enumerator()?, form, Some(&input.provenance(&net)?), out)?;
    written.map_err(output_error)?;
    report_incomplete(&summary);
    Ok(exit_code(summary.complete()))
}

/// What `verify` checks: the `--expect` list, the samples and their seed.
pub(crate) struct VerifyRequest<'a> {
    pub(crate) expect: Option<&'a str>,
    pub(crate) samples: usize,
    pub(crate) seed: u64,
}

/// `verify`: the expectations checked against the regions, as text or JSON; exit 1 when a check
/// fails, 3 when the only failed check is the completeness of a run a limit stopped.
pub(crate) fn verify_command(
    input: &NetArgs,
    run: &RunArgs,
    request: &VerifyRequest<'_>,
    as_json: bool,
) -> Result<ExitCode, BadInput> {
    let net = input.load()?;
    let expect = Expectations::parse(request.expect.unwrap_or(""))
        .map_err(|e| BadInput(anyhow::anyhow!("--expect: {e}")))?;
    let a = analyze(&net, &run.enumerator()?)?;
    let report = {
        let _stop = super::stop::token().install();
        verify(&net, &a, &expect, request.samples, request.seed)
    };
    let text = if as_json {
        let mut doc = serde_json::to_value(&report).expect("reports serialize");
        doc["provenance"] = serde_json::json!(input.provenance(&net)?);
        json::to_json(&doc)
    } else {
        report.text()
    };
    std::io::stdout().write_all(text.as_bytes()).map_err(output_error)?;
    report_incomplete(a.summary());
    // a partial run whose only failed check is its completeness: a limit stopped it
    let failed = report.checks.iter().filter(|c| !c.ok).all(|c| c.name == "complete enumeration");
    Ok(match (report.ok, a.summary().complete()) {
        (true, _) => ExitCode::SUCCESS,
        (false, false) if failed => exit_code(false),
        _ => ExitCode::from(EXIT_FAILED),
    })
}

/// The plot's drawing options: the colouring, whether ids are written, the title.
pub(crate) fn svg_options(input: &NetArgs, color: ColorArg, ids: bool) -> SvgOptions {
    SvgOptions {
        color: match color {
            ColorArg::Piece => ColorBy::Piece,
            ColorArg::Output => ColorBy::Output,
            ColorArg::Class => ColorBy::Class,
        },
        ids,
        title: format!("{}: exact activation regions", input.net.display()),
        axes: Default::default(),
        boundary: Vec::new(),
        boundary_colour: String::new(),
        boundary_width: 0.0,
    }
}

/// `convert`: the network in our JSON's `layers` form or its graph form.
pub(crate) fn convert(input: &NetArgs, to: ConvertFormat) -> Result<ExitCode, BadInput> {
    let net = input.load()?;
    let text = match to {
        ConvertFormat::Json => network::json::write_network_checked(&net, &input.net.display().to_string())
            .map_err(|e| BadInput(e.into()))?,
        ConvertFormat::JsonGraph => {
            let bytes = input.loaded.get().map_or(&[][..], Vec::as_slice);
            network::graph_form(&input.net, input.format(), bytes, &net).map_err(|e| BadInput(e.into()))?
        }
    };
    std::io::stdout().write_all(text.as_bytes()).map_err(output_error)?;
    Ok(ExitCode::SUCCESS)
}

/// `completions`: a shell completion script.
pub(crate) fn completions(shell: clap_complete::Shell) -> Result<ExitCode, BadInput> {
    clap_complete::generate(shell, &mut Cli::command(), "relu-regions", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}

/// `man`: the manual page.
pub(crate) fn man() -> Result<ExitCode, BadInput> {
    let page = clap_mangen::Man::new(Cli::command());
    page.render(&mut std::io::stdout()).map_err(output_error)?;
    Ok(ExitCode::SUCCESS)
}
