//! The `.nnet` text format (Kyle Julian, Stanford 2016; ACAS Xu, Reluplex, Marabou), read
//! exactly: every weight is the exact decimal written.
//!
//! Layout after the `//` comment lines: `numLayers,inputSize,outputSize,maxLayerSize`; the
//! layer sizes; a legacy flag; input minimums; input maximums; means (inputs, then the output
//! mean); ranges (inputs, then the output range); then per layer its weight rows and its biases,
//! one line each. Hidden layers are ReLU, the last is affine.

use super::limits::{MAX_CONSTANT_VALUES, MAX_INPUT_DIM, MAX_LAYERS, MAX_TENSOR_VALUES};
use super::{Activation, Domain, Layer, Network, Weights};
use crate::error::{NetworkError, Problem};
use crate::exact::num::{parse_rational, Q};
use num_traits::Zero;

/// Which coordinates the network is expressed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Coords {
    /// Physical units: the input normalization and output de-normalization are folded exactly
    /// into the first and last layers (the default).
    #[default]
    Raw,
    /// The network as stored, on normalized inputs and outputs.
    Normalized,
}

/// One line of numbers with its line number.
struct Line {
    number: usize,
    values: Vec<Q>,
}

fn tokenize(text: &str, problems: &mut Vec<Problem>) -> Vec<Line> {
    let mut lines = Vec::new();
    let last = text.lines().count();
    // a file cut in the middle of its last number does not end with a newline
    let cut = !text.is_empty() && !text.ends_with('\n');
    for (i, raw) in text.lines().enumerate() {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with("//") {
            continue;
        }
        let mut values = Vec::new();
        for (k, token) in trimmed.split(',').map(str::trim).enumerate() {
            if token.is_empty() {
                continue;
            }
            match parse_rational(token) {
                Ok(v) => values.push(v),
                Err(_) if cut && i + 1 == last && raw.trim_end().ends_with(token) => {
                    problems.push(Problem::new(
                        format!("line {}, value {}", i + 1, k + 1),
                        format!("the file ends in the middle of the number `{token}`: it is truncated"),
                    ))
                }
                Err(e) => {
                    problems.push(Problem::new(format!("line {}, value {}", i + 1, k + 1), e.to_string()))
                }
            }
        }
        lines.push(Line { number: i + 1, values });
    }
    lines
}

struct Cursor<'a> {
    lines: &'a [Line],
    next: usize,
}

impl Cursor<'_> {
    /// The next line, which must hold `want` values (`None` accepts any count).
    fn take(&mut self, what: &str, want: Option<usize>) -> Result<&Line, Problem> {
        let line = self.lines.get(self.next).ok_or_else(|| {
            let last = self.lines.last().map_or(0, |l| l.number);
            Problem::new(format!("after line {last}"), format!("file ends early: expected {what}"))
        })?;
        self.next += 1;
        match want {
            Some(n) if line.values.len() != n => Err(Problem::new(
                format!("line {}", line.number),
                format!("{what}: expected {n} values, found {}", line.values.len()),
            )),
            _ => Ok(line),
        }
    }
}

/// A size of the header, at most `limit` (the constant `name` of [`crate::network::limits`]).
fn as_size(v: &Q, at: &str, limit: usize, name: &str) -> Result<usize, Problem> {
    use num_traits::ToPrimitive;
    if !v.is_integer() || v < &Q::zero() {
        return Err(Problem::new(at, "expected a non-negative integer"));
    }
    v.to_integer()
        .to_usize()
        .filter(|&n| n <= limit)
        .ok_or_else(|| Problem::new(at, format!("{v} is more than {limit} ({name})")))
}

/// Reads a `.nnet` file's text. The default domain is the file's min/max box in the chosen
/// coordinates.
///
/// # Examples
/// ```
/// use relu_regions::network::nnet::{read_nnet, Coords};
/// let text = "2,1,1,2,\n1,2,1,\n0,\n-1,\n1,\n0,0,\n1,1,\n1,\n-1,\n0,\n0,\n1,1,\n0,\n";
/// let net = read_nnet(text, "tiny.nnet", Coords::Raw).unwrap();
/// assert_eq!(net.hidden_neurons(), 2);
/// ```
pub fn read_nnet(text: &str, source_name: &str, coords: Coords) -> Result<Network, NetworkError> {
    // the tokens: runs of characters between separators
    let separator = |b: u8| matches!(b, b',' | b'\n' | b'\r' | b' ' | b'\t');
    let tokens = text.as_bytes().windows(2).filter(|w| separator(w[0]) && !separator(w[1])).count() + 1;
    super::json::check_numbers(tokens, source_name)?;
    let mut problems = Vec::new();
    let lines = tokenize(text, &mut problems);
    if !problems.is_empty() {
        return Err(NetworkError::Invalid { source_name: source_name.into(), problems });
    }
    parse_lines(&lines, coords)
        .map_err(|p| NetworkError::Invalid { source_name: source_name.into(), problems: vec![p] })
}

fn parse_lines(lines: &[Line], coords: Coords) -> Result<Network, Problem> {
    let mut cur = Cursor { lines, next: 0 };
    let header = cur.take("the header numLayers,inputSize,outputSize,maxLayerSize", Some(4))?;
    let at = format!("line {}", header.number);
    let num_layers = as_size(&header.values[0], &format!("{at}, numLayers"), MAX_LAYERS, "MAX_LAYERS")?;
    let input_size = as_size(&header.values[1], &format!("{at}, inputSize"), MAX_INPUT_DIM, "MAX_INPUT_DIM")?;
    if num_layers == 0 || input_size == 0 {
        return Err(Problem::new(at, "numLayers and inputSize must be positive"));
    }
    let sizes_line = cur.take("the layer sizes", Some(num_layers + 1))?;
    let at = format!("line {}", sizes_line.number);
    let sizes: Vec<usize> = sizes_line
        .values
        .iter()
        .map(|v| as_size(v, &at, MAX_TENSOR_VALUES, "MAX_TENSOR_VALUES"))
        .collect::<Result<_, _>>()?;
    if sizes[0] != input_size || sizes.contains(&0) {
        return Err(Problem::new(at, "layer sizes must be positive and start with inputSize"));
    }
    // the weights the sizes call for, before any row is read
    let weights = sizes.windows(2).try_fold(0usize, |acc, w| acc.checked_add(w[0].checked_mul(w[1])?));
    if weights.is_none_or(|w| w > MAX_CONSTANT_VALUES) {
        return Err(Problem::new(
            at,
            format!("the layer sizes call for more than {MAX_CONSTANT_VALUES} weights (MAX_CONSTANT_VALUES)"),
        ));
    }
    cur.take("the symmetric flag", None)?;
    let mins = cur.take("the input minimums", Some(input_size))?.values.clone();
    let maxs = cur.take("the input maximums", Some(input_size))?.values.clone();
    let means = cur.take("the means (inputs and output)", Some(input_size + 1))?.values.clone();
    let ranges = cur.take("the ranges (inputs and output)", Some(input_size + 1))?.values.clone();
    if let Some(j) = ranges.iter().position(Zero::is_zero) {
        return Err(Problem::new(
            format!("line {}", lines[cur.next - 1].number),
            format!("range {} is zero", j + 1),
        ));
    }
    let mut layers = Vec::with_capacity(num_layers);
    for k in 0..num_layers {
        let weights = (0..sizes[k + 1])
            .map(|i| cur.take(&format!("layer {k} weight row {i}"), Some(sizes[k])).map(|l| l.values.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let bias = (0..sizes[k + 1])
            .map(|i| cur.take(&format!("layer {k} bias {i}"), Some(1)).map(|l| l.values[0].clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let activation = if k + 1 == num_layers { Activation::Linear } else { Activation::Relu };
        layers.push(Layer { weights: Weights::from_dense_rows(weights), bias, activation });
    }
    if let Some(extra) = lines.get(cur.next) {
        return Err(Problem::new(format!("line {}", extra.number), "unexpected data after the last layer"));
    }
    let d = input_size;
    let domain = match coords {
        Coords::Raw => {
            fold_normalization(&mut layers, &means, &ranges, d);
            Domain::Box(mins.into_iter().zip(maxs).collect())
        }
        Coords::Normalized => Domain::Box(
            (0..d)
                .map(|j| ((&mins[j] - &means[j]) / &ranges[j], (&maxs[j] - &means[j]) / &ranges[j]))
                .collect(),
        ),
    };
    Network::new(d, layers, domain).map_err(|e| match e {
        NetworkError::Invalid { mut problems, .. } => problems.remove(0),
        other => Problem::new("network", other.to_string()),
    })
}

/// Folds `x_n = (x - mean) / range` into the first layer and `y = y_n range + mean` into the last.
fn fold_normalization(layers: &mut [Layer], means: &[Q], ranges: &[Q], d: usize) {
    let first = &mut layers[0];
    for (row, b) in first.weights.rows().zip(first.bias.iter_mut()) {
        for (j, w) in row {
            *b -= w / &ranges[*j] * &means[*j];
        }
    }
    first.weights = first.weights.map_rows(d, |row| row.iter().map(|(j, w)| (*j, w / &ranges[*j])).collect());
    let last = layers.last_mut().expect("at least one layer");
    let outputs = last.weights.inputs();
    last.weights =
        last.weights.map_rows(outputs, |row| row.iter().map(|(j, w)| (*j, w * &ranges[d])).collect());
    for b in last.bias.iter_mut() {
        *b = &*b * &ranges[d] + &means[d];
    }
}
