//! Command-line options, grouped by what they act on: every command that reads a network takes
//! [`NetArgs`]; the commands that enumerate also take [`RunArgs`]. Raw options are validated
//! into the library's settings here.

use super::BadInput;
use anyhow::Context;
use clap::{Args, ValueEnum};
use relu_regions::export::provenance::Provenance;
use relu_regions::network::nnet::Coords;
use relu_regions::network::{self, Domain, InputFormat, Network};
use relu_regions::Backend;
use relu_regions::Enumerator;
use relu_regions::NetworkError;
use std::path::PathBuf;

/// The network file formats.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum FormatArg {
    /// Our exact JSON.
    Json,
    /// The .nnet text format (ACAS Xu, Reluplex, Marabou).
    Nnet,
    /// ONNX.
    Onnx,
}

impl FormatArg {
    fn format(self) -> InputFormat {
        match self {
            FormatArg::Json => InputFormat::Json,
            FormatArg::Nnet => InputFormat::Nnet,
            FormatArg::Onnx => InputFormat::Onnx,
        }
    }
}

/// Coordinates of a `.nnet` network.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum CoordsArg {
    /// Physical units: the input normalization and output scaling folded in exactly.
    Raw,
    /// The normalized inputs and outputs the network computes on.
    Normalized,
}

/// The float backend that proposes LP hints.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum LpArg {
    /// Our dense dual simplex in f64 (a point and a basis).
    Simplex,
    /// good_lp with the pure-Rust microlp solver (a point).
    #[value(alias = "good_lp")]
    GoodLp,
    /// No floats at all: the exact rational simplex and exact signs decide everything.
    Exact,
}

/// The network and its domain.
#[derive(Args)]
pub(crate) struct NetArgs {
    /// The network file (.json, .nnet or .onnx).
    pub net: PathBuf,
    /// The file format (default: from the extension).
    #[arg(long, value_enum)]
    pub input_format: Option<FormatArg>,
    /// Override the domain with a box "lo:hi,lo:hi,..." (exact decimals or p/q).
    #[arg(long = "box", value_name = "LO:HI,...", conflicts_with = "domain", allow_hyphen_values = true)]
    pub bounds: Option<String>,
    /// Override the domain with the `domain` object of a JSON file.
    #[arg(long, value_name = "FILE.json")]
    pub domain: Option<PathBuf>,
    /// Coordinates of a .nnet network.
    #[arg(long, value_enum, default_value = "raw")]
    pub coords: CoordsArg,
    /// The file's bytes as loaded (its provenance hash is taken from them: one read).
    #[arg(skip)]
    pub loaded: std::cell::OnceCell<Vec<u8>>,
}

/// How to run an enumeration.
#[derive(Args)]
pub(crate) struct RunArgs {
    /// The float LP backend proposing hints (`exact`: a float-free reference).
    #[arg(long, value_enum, default_value = "simplex")]
    pub lp: LpArg,
    /// Stop after this many regions (the result is marked incomplete, exit code 3).
    #[arg(long)]
    pub max_regions: Option<usize>,
    /// Stop after this many seconds (the result is marked incomplete, exit code 3).
    #[arg(long, value_name = "SECONDS")]
    pub time_limit: Option<f64>,
    #[command(flatten)]
    pub threads: ThreadArgs,
}

/// Worker threads.
#[derive(Args)]
pub(crate) struct ThreadArgs {
    /// Worker threads (default and 0: all cores; at most 4 per core). The output is identical
    /// for every thread count.
    #[arg(long)]
    pub threads: Option<usize>,
}

impl ThreadArgs {
    /// The thread count: all cores for none or 0, capped at 4 per core (with a warning).
    pub(crate) fn count(&self) -> usize {
        let cores = relu_regions::jobs::threads_for(0);
        match self.threads {
            None | Some(0) => cores,
            Some(n) if n > 4 * cores => {
                eprintln!(
                    "warning: --threads {n} capped at {} (4 per core; more only adds overhead)",
                    4 * cores
                );
                4 * cores
            }
            Some(n) => n,
        }
    }
}

impl NetArgs {
    /// The network with its domain (`--box`/`--domain` applied).
    pub(crate) fn load(&self) -> Result<Network, BadInput> {
        let net = self.load_file()?;
        for note in net.notes() {
            eprintln!("note: {}: {note}", self.net.display());
        }
        match self.domain_override(net.input_dim())? {
            Some(d) => net.with_domain(d).map_err(|e| BadInput(e.with_source(self.domain_source()).into())),
            None => Ok(net),
        }
    }

    fn domain_source(&self) -> &'static str {
        if self.bounds.is_some() {
            "--box"
        } else {
            "--domain"
        }
    }

    /// The format the file is read as: `--input-format`, else the extension.
    pub(crate) fn format(&self) -> Option<InputFormat> {
        self.input_format.map(FormatArg::format).or_else(|| InputFormat::from_path(&self.net))
    }

    /// The network with the file's own domain (`--box`/`--domain` not applied). An explicit
    /// `--input-format` that contradicts the extension and fails gives one line, not the
    /// reader's list of problems.
    pub(crate) fn load_file(&self) -> Result<Network, BadInput> {
        let given = self.input_format.map(FormatArg::format);
        let (path, coords) = (self.net.clone(), self.coords());
        // a huge model may take long to read: the command's token stops the wait
        let what = format!("reading {}", self.net.display());
        let read = super::stop::until_stopped(&what, move || network::load_with_bytes(&path, given, coords));
        let loaded = read.map(|(net, bytes)| {
            let _ = self.loaded.set(bytes);
            net
        });
        loaded.map_err(|e| {
            let by_extension = InputFormat::from_path(&self.net);
            match (given, by_extension, &e) {
                (Some(g), Some(x), NetworkError::Invalid { .. } | NetworkError::Syntax { .. })
                    if g != x =>
                {
                    BadInput(anyhow::anyhow!(
                        "{}: cannot be read as {} (its extension says {}): drop --input-format or give --input-format {}",
                        self.net.display(),
                        g.name(),
                        x.name(),
                        x.name()
                    ))
                }
                _ => BadInput(e.into()),
            }
        })
    }

    /// The domain of `--box` or `--domain`, if given.
    pub(crate) fn domain_override(&self, dim: usize) -> Result<Option<Domain>, BadInput> {
        if let Some(text) = &self.bounds {
            return Ok(Some(
                network::json::parse_box(text, dim).map_err(|e| BadInput(e.with_source("--box").into()))?,
            ));
        }
        if let Some(path) = &self.domain {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))
                .map_err(BadInput)?;
            let domain = network::json::read_domain(&text, &path.display().to_string(), dim);
            return Ok(Some(domain.map_err(|e| BadInput(e.into()))?));
        }
        Ok(None)
    }

    /// The `.nnet` coordinates.
    pub(crate) fn coords(&self) -> Coords {
        match self.coords {
            CoordsArg::Raw => Coords::Raw,
            CoordsArg::Normalized => Coords::Normalized,
        }
    }

    /// Where an output of this run comes from: the network file's hash, format, coordinates and
    /// the domain used.
    pub(crate) fn provenance(&self, net: &Network) -> Result<Provenance, BadInput> {
        let read;
        let bytes = match self.loaded.get() {
            Some(bytes) => bytes,
            None => {
                read = std::fs::read(&self.net)
                    .with_context(|| format!("cannot read {}", self.net.display()))
                    .map_err(BadInput)?;
                &read
            }
        };
        Ok(Provenance::new(bytes, self.format().unwrap_or(InputFormat::Json), self.coords(), net.domain())
            .with_notes(net.notes()))
    }
}

impl RunArgs {
    /// The configured enumerator, stopped by the command's token ([`super::stop`]: the
    /// deadline of `--time-limit`, counted from the command's start, and Ctrl-C).
    pub(crate) fn enumerator(&self) -> Result<Enumerator, BadInput> {
        let backend = match self.lp {
            LpArg::Simplex => Backend::FloatSimplex,
            LpArg::GoodLp => Backend::GoodLp,
            LpArg::Exact => Backend::ExactOnly,
        };
        let token = super::stop::start(self.time_limit)?;
        Ok(Enumerator::builder()
            .backend(backend)
            .max_regions(self.max_regions)
            .stop(&token)
            .progress(super::progress::counters())
            .threads(self.threads.count())
            .build())
    }
}
