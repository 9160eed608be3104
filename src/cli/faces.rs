//! The commands of the complex (issue 34): `faces` (the f-vector, every face streamed with
//! `--jsonl`), `boundary` (a level set or the argmax ties with its topology) and the f-vector
//! of `count --faces`.

use super::args::{NetArgs, RunArgs};
use super::{output_error, BadInput, EXIT_INCOMPLETE};
use relu_regions::complex::{ComplexError, LevelSpec};
use relu_regions::exact::num::{fmt_point, parse_rational};
use relu_regions::jobs::{self, FacesJob, Listed};
use relu_regions::network::Network;
use std::io::Write;
use std::process::ExitCode;

/// A library error of the complex as the CLI reports it: input errors name the network file,
/// a stop is exit 3 (the message says the answer is incomplete), an internal error exit 4.
fn reported(input: &NetArgs, e: ComplexError) -> Result<ExitCode, BadInput> {
    match e {
        ComplexError::Unsupported(m) => Err(BadInput(anyhow::anyhow!("{}: {m}", input.net.display()))),
        ComplexError::Stopped(reason) => {
            eprintln!("incomplete: {reason}; no face is printed (the complex needs every region)");
            Ok(ExitCode::from(EXIT_INCOMPLETE))
        }
        ComplexError::Internal(e) => Err(e.into()),
        other => Err(BadInput(anyhow::anyhow!("{other}"))),
    }
}

/// The complex of a loaded network, or the exit to take.
pub(crate) fn complex_of(
    input: &NetArgs,
    net: &Network,
    run: &RunArgs,
) -> Result<Result<FacesJob, ExitCode>, BadInput> {
    match jobs::faces(net, &run.enumerator()?) {
        Ok(job) => Ok(Ok(job)),
        Err(e) => reported(input, e).map(Err),
    }
}

/// `faces`: the f-vectors (`--json`), or every face one JSON line each (`--jsonl`); `--dim`
/// keeps the faces of one dimension in the listing.
pub(crate) fn faces(
    input: &NetArgs,
    run: &RunArgs,
    dim: Option<usize>,
    json: bool,
    jsonl: bool,
) -> Result<ExitCode, BadInput> {
    let net = input.load()?;
    if let Some(k) = dim.filter(|&k| k > net.input_dim()) {
        return Err(BadInput(anyhow::anyhow!("--dim {k}: the network has {} inputs", net.input_dim())));
    }
    // the complex kept compact, the listed faces' points in a temporary file (issue 35)
    let listed = match (jsonl, json, dim) {
        (true, _, None) => Listed::All,
        (_, _, Some(k)) => Listed::OfDim(k),
        (false, _, None) => Listed::Nothing,
    };
    let mut job = match jobs::faces_spilled(&net, &run.enumerator()?, listed) {
        Ok(job) => job,
        Err(ComplexError::Spill(e)) => return Err(output_error(e)),
        Err(e) => return reported(input, e),
    };
    let provenance = input.provenance(&net)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if jsonl {
        job.write_lines(Some(&provenance), &mut out).map_err(output_error)?;
    } else if json {
        job.write_json(Some(&provenance), &mut out).map_err(output_error)?;
    } else {
        let c = job.complex();
        writeln!(out, "{}: {} inputs", input.net.display(), c.input_dim).map_err(output_error)?;
        writeln!(out, "f-vector (f_0 .. f_{}): {:?}", c.input_dim, c.f_vector()).map_err(output_error)?;
        writeln!(out, "bounded faces: {:?}", c.f_vector_bounded()).map_err(output_error)?;
        writeln!(out, "Euler characteristic (open cells): {} (checked)", c.euler_characteristic())
            .map_err(output_error)?;
        job.for_each_listed(|_, f| {
            let coords: Vec<String> = serde_json::from_str(f.point.as_deref().unwrap_or("[]"))?;
            writeln!(
                out,
                "face {} (dim {}): point (({})), facets {:?}",
                f.id,
                f.dim,
                coords.join(", "),
                f.boundary
            )
        })
        .map_err(output_error)?;
    }
    out.flush().map_err(output_error)?;
    Ok(ExitCode::SUCCESS)
}

/// The flags `--output K`, `--level C` and `--classes` of `boundary` and `plot --boundary`.
pub(crate) struct LevelFlags<'a> {
    /// `--output K` (default 0).
    pub output: usize,
    /// `--level C` (default 0).
    pub level: Option<&'a str>,
    /// `--classes`: the argmax ties instead of a level set.
    pub classes: bool,
}

impl LevelFlags<'_> {
    /// The set asked for on `net`, checked: a missing output, a level that is not an exact
    /// number, or argmax ties of a one-output network are exit 2 naming the flag.
    pub(crate) fn spec(&self, net: &Network) -> Result<LevelSpec, BadInput> {
        let m = net.output_dim();
        if self.classes {
            if m < 2 {
                return Err(BadInput(anyhow::anyhow!(
                    "--classes: ties of the argmax need two outputs or more, the network has {m}"
                )));
            }
            return Ok(LevelSpec::Classes);
        }
        let output = self.output;
        if output >= m {
            return Err(BadInput(anyhow::anyhow!(
                "--output {output}: the network has {m} output{} (0..{})",
                if m == 1 { "" } else { "s" },
                m.saturating_sub(1)
            )));
        }
        let text = self.level.unwrap_or("0");
        let level = parse_rational(text).map_err(|e| BadInput(anyhow::anyhow!("--level {text}: {e}")))?;
        Ok(LevelSpec::Level { output, level })
    }
}

/// `boundary`: the level set `{y_output = level}` or, with `classes`, the argmax ties.
pub(crate) fn boundary(
    input: &NetArgs,
    run: &RunArgs,
    output: usize,
    level: Option<&str>,
    classes: bool,
    json: bool,
) -> Result<ExitCode, BadInput> {
    let net = input.load()?;
    let spec = LevelFlags { output, level, classes }.spec(&net)?;
    let job = match jobs::boundary(&net, &spec, &run.enumerator()?) {
        Ok(job) => job,
        Err(e) => return reported(input, e),
    };
    let b = job.boundary();
    let mut out = std::io::stdout().lock();
    if json {
        let doc = job.document(Some(&input.provenance(&net)?));
        writeln!(out, "{}", serde_json::to_string_pretty(&doc).expect("JSON")).map_err(output_error)?;
    } else {
        let what = match &spec {
            LevelSpec::Level { output, level } => {
                format!("y_{output} = {}", relu_regions::exact::num::fmt_q(level))
            }
            LevelSpec::Classes => "argmax ties".to_string(),
        };
        let mut lines = vec![
            format!("{}: the set {what}", input.net.display()),
            format!("top cells: {}", b.top_cells.len()),
            format!("f-vector: {:?} (Euler characteristic {}, checked)", b.f_vector, b.euler_characteristic),
            format!(
                "Betti numbers over GF(2): set {:?}, Borel-Moore {:?}, one-point {:?}",
                b.betti.set, b.betti.borel_moore, b.betti.one_point
            ),
            format!("over Q (2-torsion): {}", rational_line(&b.betti)),
            format!("regions where it holds identically: {}", b.full_dimensional.len()),
        ];
        for r in &b.decision {
            lines.push(format!("{}: {} component(s), Betti {:?}", r.name, r.components.len(), r.betti.set));
            for k in &r.components {
                lines.push(format!("  component at {}, dimension {}", fmt_point(&k.point), k.dim));
            }
        }
        writeln!(out, "{}", lines.join("\n")).map_err(output_error)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The f-vector and the bounded faces' f-vector.
pub(crate) type FVectors = (Vec<usize>, Vec<usize>);

/// The f-vectors for `count --faces`, added to its JSON document (or its text).
pub(crate) fn count_faces(input: &NetArgs, run: &RunArgs) -> Result<Result<FVectors, ExitCode>, BadInput> {
    let net = input.load()?;
    Ok(complex_of(input, &net, run)?.map(|job| (job.complex().f_vector(), job.complex().f_vector_bounded())))
}

/// `check NET FACES.jsonl --faces`: a faces answer checked independently, in exact arithmetic.
pub(crate) fn check_faces(input: &NetArgs, path: &std::path::Path) -> Result<ExitCode, BadInput> {
    let (net, text) =
        read_answer(input, path, |t| t.lines().rev().find(|l| !l.trim().is_empty()).map(str::to_string))?;
    let report = relu_regions::check::faces::check_faces(&net, &text)
        .map_err(|e| BadInput(anyhow::anyhow!("{}: {e}", path.display())))?;
    verdict(&report.failures, &[], &format!("checked {} faces", report.faces))
}

/// `check NET BOUNDARY.json --boundary`: a boundary document checked independently, in exact
/// arithmetic.
pub(crate) fn check_boundary(input: &NetArgs, path: &std::path::Path) -> Result<ExitCode, BadInput> {
    let (net, text) = read_answer(input, path, |t| Some(t.to_string()))?;
    let report = relu_regions::check::boundary::check_boundary(&net, &text)
        .map_err(|e| BadInput(anyhow::anyhow!("{}: {e}", path.display())))?;
    let what = format!("checked {} faces, {} cells of the boundary set", report.faces, report.cells);
    verdict(&report.failures, &report.notes, &what)
}

/// The network and the answer's text, its provenance (in the JSON value `holder` picks)
/// matched against this run's.
fn read_answer(
    input: &NetArgs,
    path: &std::path::Path,
    holder: impl Fn(&str) -> Option<String>,
) -> Result<(Network, String), BadInput> {
    let net = input.load()?;
    let here = input.provenance(&net)?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| BadInput(anyhow::anyhow!("cannot read {}: {e}", path.display())))?;
    let recorded = holder(&text)
        .and_then(|l| serde_json::from_str::<serde_json::Value>(&l).ok())
        .and_then(|v| v.get("provenance").cloned())
        .filter(|p| !p.is_null());
    if let Some(p) = recorded {
        let recorded: relu_regions::export::provenance::Provenance = serde_json::from_value(p)
            .map_err(|e| BadInput(anyhow::anyhow!("{}: malformed `provenance`: {e}", path.display())))?;
        if let Some(why) = here.mismatch(&recorded) {
            return Err(BadInput(anyhow::anyhow!("{} does not belong to this run: {why}", path.display())));
        }
    }
    Ok((net, text))
}

/// Prints the failures (50 at most) and notes, then the verdict; exit 1 on a failure.
fn verdict(failures: &[String], notes: &[String], what: &str) -> Result<ExitCode, BadInput> {
    let mut out = std::io::stdout().lock();
    for f in failures.iter().take(50) {
        writeln!(out, "FAIL {f}").map_err(output_error)?;
    }
    for n in notes {
        writeln!(out, "note: {n}").map_err(output_error)?;
    }
    let verdict = if failures.is_empty() { "every check holds" } else { "CHECK FAILED" };
    writeln!(out, "{what}: {verdict}").map_err(output_error)?;
    Ok(if failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(super::EXIT_FAILED) })
}

/// Segments of the plane, by their exact endpoints.
pub(crate) type Segments = Vec<[[relu_regions::exact::num::Q; 2]; 2]>;

/// The segments of the set `spec` (`{y_K = C}` or the argmax ties) in the drawn window of
/// `plot --boundary`: the network's domain when bounded, else the box of the drawn polygons.
/// Each segment is a bounded edge of the set, by its exact endpoints (a region on which the
/// level holds identically is drawn by its edges; an isolated point of the set is not drawn).
pub(crate) fn drawn_boundary(
    input: &NetArgs,
    net: &Network,
    spec: &LevelSpec,
    drawn: &relu_regions::Analysis,
    run: &RunArgs,
) -> Result<Result<Segments, ExitCode>, BadInput> {
    use relu_regions::exact::num::Q;
    use relu_regions::network::Domain;
    let net = match net.domain() {
        Domain::Box(_) => net.clone(),
        _ => {
            let mut bounds: Option<[(Q, Q); 2]> = None;
            for (r, f) in drawn.regions().iter().zip(drawn.facets()) {
                for p in relu_regions::queries::plane::polygon(r, f) {
                    let b = bounds
                        .get_or_insert_with(|| [(p[0].clone(), p[0].clone()), (p[1].clone(), p[1].clone())]);
                    for k in 0..2 {
                        b[k].0 = b[k].0.clone().min(p[k].clone());
                        b[k].1 = b[k].1.clone().max(p[k].clone());
                    }
                }
            }
            let Some(b) = bounds.filter(|b| b.iter().all(|(lo, hi)| lo < hi)) else {
                return Ok(Ok(Vec::new()));
            };
            // the window is the drawn regions' bounding box, cut by the polytope's rows when the
            // domain is one (the box alone would let the set run outside the polytope)
            let window = match net.domain() {
                Domain::Polytope { a, b: rhs } => {
                    let (mut a, mut rhs) = (a.clone(), rhs.clone());
                    for (k, (lo, hi)) in b.iter().enumerate() {
                        let unit = |s: i32| {
                            (0..2)
                                .map(|j| Q::from_integer(if j == k { s.into() } else { 0.into() }))
                                .collect()
                        };
                        a.push(unit(1));
                        rhs.push(hi.clone());
                        a.push(unit(-1));
                        rhs.push(-lo.clone());
                    }
                    Domain::Polytope { a, b: rhs }
                }
                _ => Domain::Box(b.to_vec()),
            };
            net.with_domain(window).map_err(|e| BadInput(e.into()))?
        }
    };
    let job = match jobs::boundary(&net, spec, &run.enumerator()?) {
        Ok(job) => job,
        Err(e) => return reported(input, e).map(Err),
    };
    let b = job.boundary();
    let c = &b.complex;
    let point = |i: usize| [c.faces[i].point.coordinate(0), c.faces[i].point.coordinate(1)];
    Ok(Ok(b
        .cells
        .iter()
        .map(|&i| &c.faces[i])
        .filter(|f| f.dim == 1 && f.boundary.len() == 2)
        .map(|f| [point(f.boundary[0]), point(f.boundary[1])])
        .collect()))
}

/// The rational Betti numbers and 2-torsion of the three conventions, for people.
fn rational_line(b: &relu_regions::complex::level::Betti) -> String {
    let one = |r: &Option<relu_regions::complex::rational::Rational>| match r {
        Some(r) => format!("{:?} ({:?})", r.betti, r.two_torsion),
        None => "not oriented by the face poset".to_string(),
    };
    format!(
        "set {}, Borel-Moore {}, one-point {}",
        one(&b.rational[0]),
        one(&b.rational[1]),
        one(&b.rational[2])
    )
}

/// `plot --boundary-color/--boundary-width`: checked (a colour is `#` and hex digits or a name
/// of letters; a width positive and finite) and set.
pub(crate) fn boundary_stroke(
    options: &mut relu_regions::export::svg::SvgOptions,
    colour: &str,
    width: f64,
) -> Result<(), BadInput> {
    let hex = colour
        .strip_prefix('#')
        .is_some_and(|h| matches!(h.len(), 3 | 6) && h.chars().all(|c| c.is_ascii_hexdigit()));
    let name = !colour.is_empty() && colour.len() <= 30 && colour.chars().all(|c| c.is_ascii_alphabetic());
    if !hex && !name {
        return Err(BadInput(anyhow::anyhow!(
            "--boundary-color {colour:?}: expected #rgb, #rrggbb or a colour name (letters only)"
        )));
    }
    if !(width.is_finite() && width > 0.0) {
        return Err(BadInput(anyhow::anyhow!("--boundary-width {width}: expected a positive number")));
    }
    options.boundary_colour = colour.to_string();
    options.boundary_width = width;
    Ok(())
}

/// The network refined by its decision boundary, with the same outputs: a ReLU layer passing
/// each output `y_i` on as `relu(y_i) - relu(-y_i)` beside `relu(y_i - y_j)` and
/// `relu(y_j - y_i)` for each pair `i < j`, so that on each region of the refined network the
/// argmax (one output: the sign) is one (`plot --color class`).
pub(crate) fn decision_refined(net: &Network) -> Result<Network, BadInput> {
    use relu_regions::exact::num::Q;
    use relu_regions::network::{Activation, Layer, Weights};
    let m = net.output_dim();
    let unit = |i: usize, s: i64| {
        let mut r = vec![Q::from_integer(0.into()); m];
        r[i] = Q::from_integer(s.into());
        r
    };
    let mut rows: Vec<Vec<Q>> = (0..m).flat_map(|i| [unit(i, 1), unit(i, -1)]).collect();
    for i in 0..m {
        for j in i + 1..m {
            for s in [1, -1] {
                let mut r = unit(i, s);
                r[j] = Q::from_integer((-s).into());
                rows.push(r);
            }
        }
    }
    let width = rows.len();
    let back: Vec<Vec<Q>> = (0..m)
        .map(|i| {
            let mut r = vec![Q::from_integer(0.into()); width];
            r[2 * i] = Q::from_integer(1.into());
            r[2 * i + 1] = Q::from_integer((-1).into());
            r
        })
        .collect();
    let mut layers = net.layers().to_vec();
    let zero = |n: usize| vec![Q::from_integer(0.into()); n];
    let dense = |rows| Weights::dense(rows).map_err(|e| BadInput(anyhow::anyhow!("--color class: {e}")));
    layers.push(Layer { weights: dense(rows)?, bias: zero(width), activation: Activation::Relu });
    layers.push(Layer { weights: dense(back)?, bias: zero(m), activation: Activation::Linear });
    Network::new(net.input_dim(), layers, net.domain().clone())
        .map_err(|e| BadInput(anyhow::anyhow!("--color class: {e}")))
}
