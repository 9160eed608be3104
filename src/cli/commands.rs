//! The commands that need more than one library call: counting (streamed or with the graph),
//! streaming regions, plotting, ranges, slices, locating and vnnlib (checking: [`super::check`]).

use super::args::{NetArgs, RunArgs};
use super::render::report_incomplete;
use super::{exit_code, output_error, BadInput};
use relu_regions::export::json;
use relu_regions::export::provenance::Provenance;
use relu_regions::export::svg::SvgOptions;
use relu_regions::export::text;
use relu_regions::jobs;
use relu_regions::network::Network;
use relu_regions::queries::slice::{restrict, Plane};
use relu_regions::{Enumerator, Summary};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// `count`: streamed without the graph, or with facets, graph and pieces.
pub(crate) fn count(
    input: &NetArgs,
    run: &RunArgs,
    as_json: bool,
    no_graph: bool,
    with_faces: bool,
) -> Result<ExitCode, BadInput> {
    let faces = match with_faces.then(|| super::faces::count_faces(input, run)).transpose()? {
        Some(Err(code)) => return Ok(code),
        Some(Ok(f)) => Some(f),
        None => None,
    };
    let net = input.load()?;
    let counted = jobs::count(&net, &run.enumerator()?, Some(input.provenance(&net)?), !no_graph)?;
    let mut stdout = std::io::stdout().lock();
    match (as_json, faces) {
        (true, Some((f, bounded))) => {
            let mut doc = serde_json::json!(counted.counts);
            (doc["f_vector"], doc["f_vector_bounded"]) = (f.into(), bounded.into());
            stdout.write_all(json::to_json(&doc).as_bytes()).map_err(output_error)?;
        }
        (true, None) => stdout.write_all(json::to_json(&counted.counts).as_bytes()).map_err(output_error)?,
        (false, faces) => {
            text::counts(&mut stdout, &input.net, &net, &counted.counts).map_err(output_error)?;
            if let Some((f, bounded)) = faces {
                writeln!(stdout, "f-vector: {f:?} (bounded {bounded:?})").map_err(output_error)?;
            }
        }
    }
    report_incomplete(&counted.summary);
    Ok(exit_code(counted.counts.complete))
}

/// `regions --jsonl`: facets per region, no graph; memory flat in the region count.
pub(crate) fn stream_regions(
    net: &Network,
    enumerator: &Enumerator,
    provenance: Provenance,
) -> Result<Summary, BadInput> {
    let out = std::io::BufWriter::new(std::io::stdout().lock());
    let summary = jobs::stream_regions(net, enumerator, Some(provenance), out)?;
    if let Some(e) = &summary.sink_error() {
        return Err(output_error(match e.io_kind {
            Some(kind) => std::io::Error::new(kind, e.message.clone()),
            None => std::io::Error::other(e.message.clone()),
        }));
    }
    report_incomplete(&summary);
    Ok(summary)
}

/// `regions`: as JSON lines (facets per region, no graph), one JSON document written as it goes
/// (with exact sizes for `--sizes`), or text.
pub(crate) fn regions(
    input: &NetArgs,
    run: &RunArgs,
    json: bool,
    jsonl: bool,
    sizes_samples: Option<usize>,
) -> Result<ExitCode, BadInput> {
    let net = input.load()?;
    let enumerator = run.enumerator()?;
    if jsonl {
        let summary = stream_regions(&net, &enumerator, input.provenance(&net)?)?;
        return Ok(exit_code(summary.complete()));
    }
    if json {
        // written as it goes, a region at a time (sizes until the command's token fires)
        let provenance = input.provenance(&net)?;
        let out = std::io::BufWriter::new(std::io::stdout().lock());
        let (summary, written) = jobs::write_regions_json(
            &net,
            &enumerator,
            Some(&provenance),
            sizes_samples,
            &super::stop::token(),
            out,
        )?;
        written.map_err(output_error)?;
        report_incomplete(&summary);
        return Ok(exit_code(summary.complete()));
    }
    let a = relu_regions::analysis::analyze(&net, &enumerator)?;
    relu_regions::export::text::regions(&mut std::io::stdout().lock(), &a).map_err(output_error)?;
    report_incomplete(a.summary());
    Ok(exit_code(a.summary().complete()))
}

/// What `plot` draws: which plane (if any) and which window.
pub(crate) struct PlotRequest<'a> {
    /// `--plane "p;u;v"`.
    pub plane: Option<&'a str>,
    /// `--through "a;b;c"`.
    pub through: Option<&'a str>,
    /// `--window "lo:hi,lo:hi"`.
    pub window: Option<&'a str>,
    /// `--boundary` with `--output/--level/--classes`: the level set `{y_K = C}` or the argmax
    /// ties drawn over it.
    pub boundary: Option<super::faces::LevelFlags<'a>>,
    /// `--color class`: the partition refined by the decision boundary, filled by class.
    pub classes: bool,
}

/// `plot`: the exact partition in a window. On an unbounded domain the window is chosen from
/// the bounded regions' vertices (with a margin), unless `--window` gives it; regions are
/// clipped to it exactly.
pub(crate) fn plot(
    input: &NetArgs,
    run: &RunArgs,
    request: &PlotRequest<'_>,
    mut options: SvgOptions,
    svg: &Path,
) -> Result<ExitCode, BadInput> {
    let (net, axes) = plot_network(input, request)?;
    options.axes = axes;
    let enumerator = run.enumerator()?;
    let net = match request.window {
        Some(text) => {
            let window = relu_regions::network::json::parse_box(text, 2)
                .map_err(|e| BadInput(e.with_source("--window").into()))?;
            net.with_domain(window).map_err(|e| BadInput(e.with_source("--window").into()))?
        }
        None => net,
    };
    let spec = match &request.boundary {
        Some(flags) => Some(flags.spec(&net)?),
        None => None,
    };
    let net = if request.classes { super::faces::decision_refined(&net)? } else { net };
    let a = relu_regions::queries::plane::drawn_partition(&net, &enumerator)?;
    if let Some(spec) = &spec {
        match super::faces::drawn_boundary(input, &net, spec, &a, run)? {
            Ok(segments) => options.boundary = segments,
            Err(code) => return Ok(code),
        }
    }
    let text = relu_regions::export::svg::partition_svg(&a, &options);
    std::fs::write(svg, text)
        .map_err(|e| BadInput(anyhow::anyhow!("cannot write {}: {e}", svg.display())))?;
    eprintln!(
        "wrote {} ({}, {})",
        svg.display(),
        text::plural(a.regions().len(), "region"),
        text::plural(a.graph().pieces(), "piece")
    );
    report_incomplete(a.summary());
    Ok(exit_code(a.summary().complete()))
}

/// The 2-input network to draw and its axis names: the network itself, or its restriction to a
/// plane.
fn plot_network(input: &NetArgs, request: &PlotRequest<'_>) -> Result<(Network, [String; 2]), BadInput> {
    let plane = match (request.plane, request.through) {
        (None, None) => None,
        (Some(p), _) => Some((input.load_file()?, p, false)),
        (_, Some(t)) => Some((input.load_file()?, t, true)),
    };
    let Some((net, text, is_through)) = plane else {
        let net = input.load()?;
        if net.input_dim() != 2 {
            return Err(BadInput(anyhow::anyhow!(
                "the network has {} inputs: plot draws 2-input networks; use --plane or --through for a slice",
                net.input_dim()
            )));
        }
        return Ok((net, ["x0".into(), "x1".into()]));
    };
    let d = net.input_dim();
    let flag = if is_through { "--through" } else { "--plane" };
    let plane = if is_through { Plane::parse_through(text, d) } else { Plane::parse_plane(text, d) }
        .map_err(option_error(flag))?;
    let st_box = input.domain_override(2)?;
    Ok((restrict(&net, &plane, st_box).map_err(option_error(flag))?, ["s".into(), "t".into()]))
}

/// `range`: the exact range of every output (and `--lipschitz`).
pub(crate) fn range(
    input: &NetArgs,
    run: &RunArgs,
    with_lipschitz: bool,
    as_json: bool,
) -> Result<ExitCode, BadInput> {
    let net = input.load()?;
    let job = jobs::range(&net, &run.enumerator()?, with_lipschitz, &super::stop::token())?;
    let Some(ranges) = &job.ranges else {
        eprintln!("warning: INCOMPLETE result: the run stopped before any region's range was found: no range to report");
        return Ok(exit_code(false));
    };
    let mut out = std::io::stdout().lock();
    if as_json {
        let doc = job.document(Some(&input.provenance(&net)?)).expect("ranges were found");
        out.write_all(json::to_json(&doc).as_bytes()).map_err(output_error)?;
    } else {
        text::ranges(&mut out, ranges, job.lipschitz.as_ref(), job.regions, job.summary.complete())
            .map_err(output_error)?;
    }
    report_incomplete(&job.summary);
    Ok(exit_code(job.summary.complete()))
}

/// `slice`: the exact breakpoints along a segment.
pub(crate) fn slice(
    input: &NetArgs,
    run: &RunArgs,
    line: &str,
    as_json: bool,
    svg: Option<&Path>,
) -> Result<ExitCode, BadInput> {
    let net = input.load()?;
    let job = jobs::slice(&net, &run.enumerator()?, line)?;
    let complete = job.summary.complete();
    if let Some(path) = svg {
        let title = format!("{} along the segment", input.net.display());
        let text = relu_regions::export::line_svg::line_svg(&job.slice, &title, complete);
        std::fs::write(path, text)
            .map_err(|e| BadInput(anyhow::anyhow!("cannot write {}: {e}", path.display())))?;
    }
    let mut out = std::io::stdout().lock();
    if as_json {
        let doc = job.document(Some(&input.provenance(&net)?));
        out.write_all(json::to_json(&doc).as_bytes()).map_err(output_error)?;
    } else {
        text::slice(&mut out, &job.slice).map_err(output_error)?;
    }
    report_incomplete(&job.summary);
    Ok(exit_code(complete))
}

/// `locate`: the region(s) at a point, with their facets (and ids with `--ids`).
pub(crate) fn locate(
    input: &NetArgs,
    run: &RunArgs,
    point: &str,
    with_ids: bool,
    as_json: bool,
) -> Result<ExitCode, BadInput> {
    let net = input.load()?;
    let job = jobs::locate(&net, &run.enumerator()?, point, with_ids)?;
    let (location, regions, wire) = (&job.location, &job.location.regions, &job.regions);
    let mut out = std::io::stdout().lock();
    if as_json {
        let doc = job.document(Some(&input.provenance(&net)?));
        out.write_all(json::to_json(&doc).as_bytes()).map_err(output_error)?;
    } else {
        let neurons: Vec<String> =
            location.split_by.iter().map(|n| format!("layer {} neuron {}", n.layer, n.index)).collect();
        let mut where_ = if location.on_boundary {
            format!(
                "on the boundary between {} (split by {})",
                text::plural(regions.len(), "region"),
                neurons.join(", ")
            )
        } else if location.on_domain_boundary {
            "in one region".into()
        } else {
            "inside one region".into()
        };
        if location.on_domain_boundary {
            where_ += ", on the domain's boundary";
        }
        writeln!(out, "the point lies {where_}").map_err(output_error)?;
        for (v, r) in wire.iter().zip(regions) {
            let patterns: Vec<&str> = v["pattern"]
                .as_array()
                .map(|a| a.iter().filter_map(|s| s.as_str()).collect())
                .unwrap_or_default();
            let id = v["id"].as_u64().map_or("-".to_string(), |i| i.to_string());
            writeln!(
                out,
                "region {id}  pattern {}  {} inequalities  {}",
                patterns.join("|"),
                v["inequalities"].as_array().map_or(0, Vec::len),
                if v["bounded"] == true { "bounded" } else { "unbounded" }
            )
            .map_err(output_error)?;
            for (k, (row, c)) in r.map().jacobian.iter().zip(&r.map().offset).enumerate() {
                let slope: Vec<String> = row.iter().map(relu_regions::exact::num::fmt_approx).collect();
                writeln!(
                    out,
                    "  y{k} = [{}] . x + {}",
                    slope.join(", "),
                    relu_regions::exact::num::fmt_approx(c)
                )
                .map_err(output_error)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn read_property(
    net: &relu_regions::Network,
    path: &Path,
) -> Result<relu_regions::network::vnnlib::Property, BadInput> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| BadInput(anyhow::anyhow!("cannot read {}: {e}", path.display())))?;
    relu_regions::network::vnnlib::read_vnnlib(
        &text,
        &path.display().to_string(),
        net.input_dim(),
        net.output_dim(),
    )
    .map_err(|e| BadInput(e.into()))
}

/// `vnnlib`: a property decided exactly.
pub(crate) fn vnnlib(
    input: &NetArgs,
    run: &RunArgs,
    path: &Path,
    as_json: bool,
    proof: Option<&Path>,
) -> Result<ExitCode, BadInput> {
    use relu_regions::queries::property::Verdict;
    let net = input.load()?;
    let property = read_property(&net, path)?;
    let job = jobs::vnnlib(&net, &property, &run.enumerator()?, &path.display().to_string())?;
    let (decision, seconds, result) = (&job.decision, job.seconds, job.result());
    if let (Some(file), Some(certificate)) = (proof, &decision.proof) {
        std::fs::write(file, json::to_json(&certificate.to_json()))
            .map_err(|e| BadInput(anyhow::anyhow!("cannot write {}: {e}", file.display())))?;
    }
    let qs =
        |v: &[relu_regions::exact::num::Q]| v.iter().map(relu_regions::exact::num::fmt_q).collect::<Vec<_>>();
    let complete = result != "unknown";
    let mut out = std::io::stdout().lock();
    if as_json {
        let doc = job.document(Some(&input.provenance(&net)?));
        out.write_all(json::to_json(&doc).as_bytes()).map_err(output_error)?;
    } else {
        writeln!(out, "{result}").map_err(output_error)?;
        if let Verdict::Sat { input, output } = &decision.verdict {
            writeln!(out, "counterexample input:  ({})", qs(input).join(", ")).map_err(output_error)?;
            writeln!(out, "its exact outputs:     ({})", qs(output).join(", ")).map_err(output_error)?;
        }
        writeln!(
            out,
            "{} regions visited, {} partial regions pruned, {} checks settled by bounds, {} LPs, {seconds:.2} s",
            decision.regions_visited, decision.subtrees_pruned, decision.pruned, decision.lps
        )
        .map_err(output_error)?;
    }
    if !complete {
        eprintln!("warning: unknown: a limit stopped the run before the property was decided");
    }
    Ok(exit_code(complete))
}

/// An option's value the library refused, told as `FLAG: what is wrong`.
fn option_error(flag: &'static str) -> impl Fn(relu_regions::NetworkError) -> BadInput {
    move |e| jobs::JobError::option(flag, e).into()
}
