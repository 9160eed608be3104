//! Reading back the wire form of a region (a `regions --jsonl` line), for merging the parts of
//! a sharded run. The region keeps what its line says: its facets' inequalities (one
//! constraint per neuron or domain row listed), point, map and pattern; ids are the caller's.

use crate::analysis::facets::Facet;
use crate::enumerate::region::{AffineMap, Constraint, NeuronId, Origin, Region};
use crate::exact::num::{parse_rational, Q};
use crate::kernel::halfspace::Halfspace;
use crate::network::pieces::PatternLayout;
use serde_json::Value;

/// A region and its facets from its wire form, with the given id; the error says which field
/// is wrong.
///
/// # Examples
/// ```
/// use relu_regions::{analysis::analyze, Enumerator, network::json::read_network};
/// use relu_regions::export::{json::RegionOut, read::region_from_wire};
/// let net = read_network(r#"{"input_dim": 2, "layers": [
///     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"},
///     {"weights": [["1", "2"]], "activation": "linear"}]}"#, "seed").unwrap();
/// let a = analyze(&net, &Enumerator::builder().build()).unwrap();
/// let labels = relu_regions::export::labels::FacetLabels::new(&net);
/// let wire = serde_json::to_value(RegionOut::new(&labels, &a.regions()[1], &a.facets()[1], None)).unwrap();
/// let layout = relu_regions::network::pieces::PatternLayout::of(&net);
/// let (region, facets) = region_from_wire(&wire, 1, &layout).unwrap();
/// // the round trip gives the same wire form
/// assert_eq!(serde_json::to_value(RegionOut::new(&labels, &region, &facets, None)).unwrap(), wire);
/// ```
pub fn region_from_wire(
    wire: &Value,
    id: usize,
    layout: &PatternLayout,
) -> Result<(Region, Vec<Facet>), String> {
    let strings = wire["pattern"]
        .as_array()
        .ok_or("pattern is not a list")?
        .iter()
        .map(|s| s.as_str().map(String::from).ok_or("pattern entry is not a string"))
        .collect::<Result<Vec<String>, _>>()?;
    let pattern = layout.parse(&strings).ok_or("the pattern does not fit the network's layers")?;
    let point = vector(&wire["point"]).ok_or("point is not a list of rationals")?;
    let jacobian = wire["jacobian"]
        .as_array()
        .ok_or("jacobian is not a list")?
        .iter()
        .map(|row| vector(row).ok_or("jacobian row is not a list of rationals"))
        .collect::<Result<Vec<_>, _>>()?;
    let offset = vector(&wire["offset"]).ok_or("offset is not a list of rationals")?;
    let bounded = wire["bounded"].as_bool().ok_or("bounded is not a boolean")?;
    let mut constraints = Vec::new();
    let mut facets = Vec::new();
    for (k, ineq) in wire["inequalities"].as_array().ok_or("inequalities is not a list")?.iter().enumerate() {
        let bad = |what: &str| format!("inequalities[{k}]: {what}");
        let a = vector(&ineq["a"]).ok_or_else(|| bad("a is not a list of rationals"))?;
        let b = rational(&ineq["b"]).ok_or_else(|| bad("b is not a rational"))?;
        let facet_point = vector(&ineq["facet_point"]).ok_or_else(|| bad("facet_point is not a list"))?;
        let halfspace = std::sync::Arc::new(Halfspace::new(a, b));
        let mut origins = Vec::new();
        for n in ineq.get("neurons").and_then(Value::as_array).into_iter().flatten() {
            let (Some(layer), Some(index)) = (n["layer"].as_u64(), n["index"].as_u64()) else {
                return Err(bad("a neuron is not {layer, index}"));
            };
            origins.push(Origin::Neuron(NeuronId { layer: layer as usize, index: index as usize }));
        }
        for row in ineq.get("domain_rows").and_then(Value::as_array).into_iter().flatten() {
            origins.push(Origin::Domain(
                row.as_u64().ok_or_else(|| bad("a domain row is not an index"))? as usize
            ));
        }
        if origins.is_empty() {
            return Err(bad("names no neuron and no domain row"));
        }
        let first = constraints.len();
        let on_boundary = origins.iter().any(|o| matches!(o, Origin::Domain(_)));
        for origin in origins {
            constraints.push(Constraint { halfspace: halfspace.clone(), origin });
        }
        facets.push(Facet {
            constraints: (first..constraints.len()).collect(),
            point: facet_point,
            on_boundary,
        });
    }
    let map = AffineMap { jacobian, offset };
    let region = Region {
        id,
        pattern,
        point,
        constraints,
        map,
        facts: Default::default(),
        bounded,
        layout: layout.clone(),
    };
    Ok((region, facets))
}

fn rational(v: &Value) -> Option<Q> {
    match v {
        Value::String(s) => parse_rational(s).ok(),
        Value::Number(n) => parse_rational(&n.to_string()).ok(),
        _ => None,
    }
}

fn vector(v: &Value) -> Option<Vec<Q>> {
    v.as_array()?.iter().map(rational).collect()
}
