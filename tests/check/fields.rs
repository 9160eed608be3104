//! Every field of an answer is checked: over random small networks (2-3 inputs, a few relu
//! neurons, sometimes a max layer; on a box, a polytope or all of R^d; sometimes with sizes),
//! the whole answer passes, and each damage of one field, picked by walking the JSON of the
//! regions document and of the graph (every region, inequality, label, node and edge field),
//! fails, unless the damaged document is still a correct answer: a list whose order is not
//! meaningful permuted, an inequality rescaled by a positive factor, a rational written
//! another way, `size` left out, or a point moved within the set it may lie in (a facet's or a
//! shared facet's relative interior, a ball still inside the region), decided here from the
//! original's inequalities.

use proptest::prelude::*;
use relu_regions::check::{check_answer, CheckOptions};
use relu_regions::exact::num::{parse_rational, Q};
use relu_regions::export::json::{graph_json, regions_document};
use relu_regions::{analyze, Enumerator, Network};
use serde_json::{json, Value};

/// A step of a path into a JSON document.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    At(usize),
}

/// Every path in `v` (the root excluded).
fn paths(v: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    let children: Vec<(Step, &Value)> = match v {
        Value::Object(map) => map.iter().map(|(k, c)| (Step::Key(k.clone()), c)).collect(),
        Value::Array(items) => items.iter().enumerate().map(|(i, c)| (Step::At(i), c)).collect(),
        _ => Vec::new(),
    };
    for (step, child) in children {
        prefix.push(step);
        out.push(prefix.clone());
        paths(child, prefix, out);
        prefix.pop();
    }
}

fn at_mut<'v>(v: &'v mut Value, path: &[Step]) -> &'v mut Value {
    path.iter().fold(v, |v, s| match s {
        Step::Key(k) => &mut v[k.as_str()],
        Step::At(i) => &mut v[*i],
    })
}

fn at<'v>(v: &'v Value, path: &[Step]) -> &'v Value {
    path.iter().fold(v, |v, s| match s {
        Step::Key(k) => &v[k.as_str()],
        Step::At(i) => &v[*i],
    })
}

fn key(step: Option<&Step>) -> Option<&str> {
    match step {
        Some(Step::Key(k)) => Some(k),
        _ => None,
    }
}

/// The damages of one field.
#[derive(Debug, Clone)]
enum Damage {
    /// A rational changed by a nonzero amount.
    Shift(Q),
    /// A rational written another way (the same value).
    Renotate,
    /// A character of a pattern string changed.
    FlipChar(usize),
    /// An integer plus one.
    Increment,
    /// A float changed.
    Float,
    Flip,
    Drop(usize),
    Duplicate(usize),
    Swap(usize, usize),
    DropKey(String),
    AddKey,
    /// The value of a key swapped with the next sibling's (regions, inequalities, nodes, edges).
    SwapWithSibling(String),
    /// An inequality's `a` and `b` times a factor.
    Rescale(Q),
}

fn zero() -> Q {
    Q::from_integer(0.into())
}

fn r(s: &str) -> Q {
    parse_rational(s).unwrap()
}

fn text(v: &Q) -> String {
    relu_regions::exact::num::fmt_q(v)
}

/// The damages that apply to the value at `path`.
fn damages(doc: &Value, path: &[Step]) -> Vec<Damage> {
    let v = at(doc, path);
    let parent = key(path.len().checked_sub(2).and_then(|i| path.get(i)));
    let mut out = Vec::new();
    match v {
        Value::String(s) if parent == Some("pattern") => out.extend((0..s.len()).map(Damage::FlipChar)),
        Value::String(s) if parse_rational(s).is_ok() => {
            out.extend([Damage::Shift(r("1/3")), Damage::Shift(r("-2")), Damage::Renotate]);
        }
        Value::Number(n) if n.is_u64() => out.push(Damage::Increment),
        Value::Number(_) => out.push(Damage::Float),
        Value::Bool(_) => out.push(Damage::Flip),
        Value::Array(items) if !items.is_empty() => {
            let n = items.len();
            out.extend([Damage::Drop(n - 1), Damage::Duplicate(0)]);
            if n > 1 {
                out.push(Damage::Swap(0, n - 1));
            }
        }
        Value::Object(map) => {
            out.extend(map.keys().map(|k| Damage::DropKey(k.clone())));
            out.push(Damage::AddKey);
            if let Some(Step::At(i)) = path.last() {
                let siblings = at(doc, &path[..path.len() - 1]).as_array().map_or(0, Vec::len);
                if i + 1 < siblings {
                    out.extend(map.keys().map(|k| Damage::SwapWithSibling(k.clone())));
                }
            }
            if map.contains_key("facet_point") {
                out.extend([Damage::Rescale(r("5/2")), Damage::Rescale(r("-1"))]);
            }
        }
        _ => {}
    }
    out
}

/// Applies a damage at `path`.
fn apply(doc: &mut Value, path: &[Step], damage: &Damage) {
    if let Damage::SwapWithSibling(k) = damage {
        let Some(Step::At(i)) = path.last() else { return };
        let list = at_mut(doc, &path[..path.len() - 1]);
        let (x, y) = (list[*i].get(k).cloned(), list[i + 1].get(k).cloned());
        for (j, v) in [(*i, y), (i + 1, x)] {
            match v {
                Some(v) => list[j][k.as_str()] = v,
                None => {
                    list[j].as_object_mut().unwrap().remove(k);
                }
            }
        }
        return;
    }
    let v = at_mut(doc, path);
    match damage {
        Damage::Shift(d) => *v = json!(text(&(r(v.as_str().unwrap()) + d))),
        Damage::Renotate => {
            let x = r(v.as_str().unwrap());
            *v = json!(format!("{}/{}", x.numer() * 3, x.denom() * 3));
        }
        Damage::FlipChar(i) => {
            let s: Vec<char> = v.as_str().unwrap().chars().collect();
            let c = match s[*i] {
                '0' => '1',
                '1' => '0',
                _ => '0',
            };
            *v = json!(s.iter().enumerate().map(|(j, &d)| if j == *i { c } else { d }).collect::<String>());
        }
        Damage::Increment => *v = json!(v.as_u64().unwrap() + 1),
        Damage::Float => *v = json!(v.as_f64().unwrap() * 2.0 + 1.0),
        Damage::Flip => *v = json!(!v.as_bool().unwrap()),
        Damage::Drop(i) => {
            v.as_array_mut().unwrap().remove(*i);
        }
        Damage::Duplicate(i) => {
            let copy = v[*i].clone();
            v.as_array_mut().unwrap().push(copy);
        }
        Damage::Swap(i, j) => v.as_array_mut().unwrap().swap(*i, *j),
        Damage::DropKey(k) => {
            v.as_object_mut().unwrap().remove(k);
        }
        Damage::AddKey => v["note"] = json!("an extra claim"),
        Damage::Rescale(c) => {
            for x in v["a"].as_array_mut().unwrap() {
                *x = json!(text(&(r(x.as_str().unwrap()) * c)));
            }
            v["b"] = json!(text(&(r(v["b"].as_str().unwrap()) * c)));
        }
        Damage::SwapWithSibling(_) => unreachable!(),
    }
}

/// The listed inequalities of region `i` of a (correct) regions document.
fn inequalities(doc: &Value, i: usize) -> Vec<(Vec<Q>, Q)> {
    doc["regions"][i]["inequalities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["a"].as_array().unwrap().iter().map(|v| r(v.as_str().unwrap())).collect(),
                r(q["b"].as_str().unwrap()),
            )
        })
        .collect()
}

fn point(v: &Value) -> Option<Vec<Q>> {
    v.as_array()?.iter().map(|x| parse_rational(x.as_str()?).ok()).collect()
}

fn slack((a, b): &(Vec<Q>, Q), x: &[Q]) -> Q {
    b - a.iter().zip(x).map(|(u, v)| u * v).sum::<Q>()
}

/// Whether `x` is in the relative interior of facet `k` of the polytope `rows` (irredundant).
fn in_facet(rows: &[(Vec<Q>, Q)], k: usize, x: &[Q]) -> bool {
    x.len() == rows[0].0.len()
        && rows
            .iter()
            .enumerate()
            .all(|(j, row)| if j == k { slack(row, x) == zero() } else { slack(row, x) > zero() })
}

/// Whether `after` is `c * before` for some `c > 0` (the same halfspace).
fn positive_multiple(before: &(Vec<Q>, Q), after: &(Vec<Q>, Q)) -> bool {
    let entries = |row: &(Vec<Q>, Q)| row.0.iter().chain([&row.1]).cloned().collect::<Vec<Q>>();
    let (u, v) = (entries(before), entries(after));
    let Some(j) = u.iter().position(|x| *x != zero()) else { return false };
    let c = &v[j] / &u[j];
    c > zero() && u.iter().zip(&v).all(|(x, y)| x * &c == *y)
}

/// Whether the damaged document is still a correct answer (`regions` the original regions
/// document, `graph_doc` whether `path` is in the graph).
fn still_correct(
    regions: &Value,
    graph: &Value,
    graph_doc: bool,
    path: &[Step],
    damage: &Damage,
    damaged: &Value,
) -> bool {
    let unordered = |p: &[Step]| matches!(key(p.last()), Some("inequalities" | "neurons" | "domain_rows"));
    match damage {
        Damage::Renotate => return true,
        Damage::Rescale(c) => return *c > zero(),
        Damage::Swap(..) if unordered(path) => return true,
        Damage::DropKey(k) if k == "size" => return true,
        // `piece` on every region or on none
        Damage::DropKey(k) if k == "piece" && !graph_doc => {
            return damaged["regions"].as_array().unwrap().iter().all(|r| r.get("piece").is_none());
        }
        // within a list whose order is not meaningful, the same elements in another order
        Damage::SwapWithSibling(_) => {
            let list = &path[..path.len() - 1];
            let original = if graph_doc { graph } else { regions };
            let mut before: Vec<String> =
                at(original, list).as_array().unwrap().iter().map(Value::to_string).collect();
            let mut after: Vec<String> =
                at(damaged, list).as_array().unwrap().iter().map(Value::to_string).collect();
            before.sort();
            after.sort();
            return unordered(list) && before == after;
        }
        _ => {}
    }
    // an entry of an inequality changed so that the inequality is a positive multiple of itself
    // (e.g. `x_2 <= 0` with its coefficient 1 shifted to 4/3): the same halfspace
    if let (false, Damage::Shift(_)) = (graph_doc, damage) {
        let steps: Vec<&Step> = path.iter().collect();
        let row = match &steps[..] {
            [Step::Key(rs), Step::At(i), Step::Key(is), Step::At(k), Step::Key(f), Step::At(_)]
            | [Step::Key(rs), Step::At(i), Step::Key(is), Step::At(k), Step::Key(f)]
                if rs == "regions" && is == "inequalities" && (f == "a" || f == "b") =>
            {
                Some((*i, *k))
            }
            _ => None,
        };
        if let Some((i, k)) = row {
            return positive_multiple(&inequalities(regions, i)[k], &inequalities(damaged, i)[k]);
        }
    }
    // a moved point: a facet point, an edge's point, a ball's centre
    let moved = match damage {
        Damage::Shift(_) => &path[..path.len() - 1],
        Damage::Swap(..) => path,
        _ => return false,
    };
    let Some(x) = point(at(damaged, moved)) else { return false };
    let steps: Vec<&Step> = moved.iter().collect();
    match (graph_doc, &steps[..]) {
        (false, [Step::Key(rs), Step::At(i), Step::Key(is), Step::At(k), Step::Key(fp)])
            if rs == "regions" && is == "inequalities" && fp == "facet_point" =>
        {
            in_facet(&inequalities(regions, *i), *k, &x)
        }
        (false, [Step::Key(rs), Step::At(i), Step::Key(s), Step::Key(c)])
            if rs == "regions" && s == "size" && c == "ball_center" =>
        {
            let radius = r(regions["regions"][*i]["size"]["inradius"].as_str().unwrap());
            inequalities(regions, *i).iter().all(|row| {
                let s = slack(row, &x);
                let norm2: Q = row.0.iter().map(|v| v * v).sum();
                s >= zero() && &s * &s >= &radius * &radius * norm2
            })
        }
        (true, [Step::Key(es), Step::At(e), Step::Key(p)]) if es == "edges" && p == "point" => {
            let edge = &graph["edges"][*e];
            let old = point(&edge["point"]).unwrap();
            [&edge["source"], &edge["target"]].iter().all(|id| {
                let rows = inequalities(regions, id.as_u64().unwrap() as usize);
                let k = rows.iter().position(|row| slack(row, &old) == zero()).unwrap();
                in_facet(&rows, k, &x)
            })
        }
        _ => false,
    }
}

/// A small network as JSON: `dim` inputs, relu layers of the given widths, optionally a max
/// layer of two-piece units, then one linear output; weights and biases drawn from `values`
/// (small integers and halves: many coincidences, copies of hyperplanes and dead neurons).
fn network(dim: usize, widths: &[usize], max_units: usize, values: &[i8], domain: u8) -> Network {
    let mut next = values.iter().cycle();
    let mut value = || -> String {
        let v = *next.next().unwrap();
        if v % 3 == 0 {
            format!("{}", v / 3)
        } else {
            format!("{v}/2")
        }
    };
    let mut layers = Vec::new();
    let mut input = dim;
    for &w in widths {
        let rows: Vec<String> = (0..w)
            .map(|_| {
                format!("[{}]", (0..input).map(|_| format!("\"{}\"", value())).collect::<Vec<_>>().join(", "))
            })
            .collect();
        let bias: Vec<String> = (0..w).map(|_| format!("\"{}\"", value())).collect();
        layers.push(format!(
            r#"{{"weights": [{}], "bias": [{}], "activation": "relu"}}"#,
            rows.join(", "),
            bias.join(", ")
        ));
        input = w;
    }
    let mut out: Vec<String> = (0..input).map(|_| format!("\"{}\"", value())).collect();
    if max_units > 0 {
        let rows: Vec<String> = (0..2 * max_units)
            .map(|_| {
                format!("[{}]", (0..input).map(|_| format!("\"{}\"", value())).collect::<Vec<_>>().join(", "))
            })
            .collect();
        layers.push(format!(r#"{{"weights": [{}], "activation": "max", "pieces": 2}}"#, rows.join(", ")));
        // the output reads each unit through two equal columns
        out = (0..max_units).flat_map(|u| vec![format!("\"{}\"", u + 1); 2]).collect();
    }
    layers.push(format!(r#"{{"weights": [[{}]], "activation": "linear"}}"#, out.join(", ")));
    let domain = match domain {
        0 => String::new(),
        1 => format!(
            r#", "domain": {{"box": [{}]}}"#,
            (0..dim)
                .map(|j| format!(r#"["-{}", "{}"]"#, 1 + j % 2, 2 - j % 2))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => {
            // the box [-2, 2]^d cut by x_0 + x_1 <= 1
            let mut a: Vec<String> = Vec::new();
            let mut b: Vec<String> = Vec::new();
            for j in 0..dim {
                for s in [-1, 1] {
                    a.push(format!(
                        "[{}]",
                        (0..dim)
                            .map(|i| if i == j { s.to_string() } else { "0".into() })
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    b.push("2".into());
                }
            }
            a.push(format!(
                "[{}]",
                (0..dim).map(|i| if i < 2 { "1" } else { "0" }).collect::<Vec<_>>().join(", ")
            ));
            b.push("1".into());
            format!(r#", "domain": {{"polytope": {{"A": [{}], "b": [{}]}}}}"#, a.join(", "), b.join(", "))
        }
    };
    Network::from_json(&format!(r#"{{"input_dim": {dim}, "layers": [{}]{domain}}}"#, layers.join(", ")))
        .unwrap()
}

fn fails(net: &Network, regions: &Value, graph: Option<&Value>) -> Vec<String> {
    let report = check_answer(net, regions, graph, CheckOptions { partial: false, threads: 1 });
    report.failures.iter().map(|f| f.message.clone()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// The whole answer passes; each damage of a field fails unless it leaves a correct answer.
    #[test]
    fn every_field_is_checked(
        dim in 2usize..4,
        widths in prop::collection::vec(1usize..4, 1..3),
        max_units in prop_oneof![3 => Just(0usize), 1 => 1usize..3],
        values in prop::collection::vec(-6i8..7, 24),
        domain in 0u8..3,
        sizes in any::<bool>(),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 40),
    ) {
        let net = network(dim, &widths, max_units, &values, domain);
        let a = analyze(&net, &Enumerator::builder().build()).unwrap();
        let mut regions = regions_document(&net, &a, None);
        if sizes {
            let s = relu_regions::queries::sizes::region_sizes(&net, a.regions(), a.facets(), 0, 1);
            relu_regions::export::answers::add_sizes(&mut regions, &s, dim);
        }
        let graph: Value = serde_json::from_str(&graph_json(a.regions(), a.graph(), true, None)).unwrap();
        let failures = fails(&net, &regions, Some(&graph));
        prop_assert!(failures.is_empty(), "the correct answer fails: {:?}", failures);
        // every (document, path, damage), then the picked ones
        let mut all = Vec::new();
        for (in_graph, doc) in [(false, &regions), (true, &graph)] {
            let mut found = Vec::new();
            paths(doc, &mut Vec::new(), &mut found);
            for path in found {
                for damage in damages(doc, &path) {
                    all.push((in_graph, path.clone(), damage));
                }
            }
        }
        for pick in &picks {
            let (in_graph, path, damage) = &all[pick.index(all.len())];
            let original = if *in_graph { &graph } else { &regions };
            let mut damaged = original.clone();
            apply(&mut damaged, path, damage);
            if damaged == *original {
                continue; // the same document (equal elements swapped)
            }
            let failures = if *in_graph { fails(&net, &regions, Some(&damaged)) } else { fails(&net, &damaged, None) };
            let correct = still_correct(&regions, &graph, *in_graph, path, damage, &damaged);
            prop_assert_eq!(
                failures.is_empty(), correct,
                "{:?} at {:?} (graph: {}): {:?}", damage, path, in_graph, failures
            );
        }
    }
}
