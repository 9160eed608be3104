//! Tests of the graph's figures from compact records: exact map comparisons behind equal
//! fingerprints, packed patterns, and records left without facets by a stop.

use super::*;

/// Fingerprints only tell maps apart: with every fingerprint forged equal, the exact
/// comparisons still find the true pieces and distinct maps.
#[test]
fn equal_fingerprints_are_decided_exactly() {
    let net = crate::network::json::read_network(
        r#"{"input_dim": 2, "layers": [
            {"weights": [["1", "0"], ["0", "1"], ["1", "1"]], "bias": ["0", "0", "-1"], "activation": "relu"},
            {"weights": [["1", "-1", "0"]], "activation": "linear"}]}"#,
        "t",
    )
    .unwrap();
    let e = Enumerator::builder().build();
    let a = crate::analysis::analyze(&net, &e).unwrap();
    let prepared = e.prepare(&net);
    let mut stats = LpStats::default();
    // every map's hash forged equal
    let forged = |r: &Region| {
        let mut r = r.clone();
        r.facts.map_hash = Some(0);
        r
    };
    let records: Vec<Record> =
        a.regions.iter().map(|r| record(&forged(r), &prepared, &mut stats).unwrap()).collect();
    let c = tally(&prepared, records, a.summary.clone(), &StopToken::default()).unwrap();
    assert_eq!((c.edges, c.pieces, c.distinct_maps), (a.edges(), a.graph.pieces, a.graph.distinct_maps));
    assert!(c.pieces < c.regions && c.distinct_maps > 1);
}

#[test]
fn patterns_pack_and_unpack() {
    let net = crate::network::json::read_network(
        r#"{"input_dim": 1, "layers": [
            {"weights": [[1], [1], [1]], "activation": "relu"}, {"weights": [[1, 1, 1]], "activation": "linear"},
            {"weights": [[1]], "activation": "relu"}]}"#,
        "t",
    )
    .unwrap();
    let pattern = vec![vec![true, false, true], vec![true]];
    assert_eq!(unpack(&pack(&pattern), &net), pattern);
    let wide: Pattern = vec![(0..130).map(|i| i % 3 == 0).collect()];
    assert_eq!(pack(&wide).len(), 3);
}

/// Records whose facets were not certified (the run stopped first): an edge between a
/// certified region and one of them is found from one side and kept, even when the enumeration
/// was complete; the figures are marked partial with the token's reason.
#[test]
fn records_without_facets_keep_the_edges_seen_from_the_others() {
    let net = crate::network::json::read_network(
        r#"{"input_dim": 2, "layers": [
            {"weights": [["1", "0"], ["0", "1"], ["1", "1"]], "bias": ["0", "0", "-1"], "activation": "relu"},
            {"weights": [["1", "-1", "2"]], "activation": "linear"}]}"#,
        "t",
    )
    .unwrap();
    let e = Enumerator::builder().threads(1).build();
    let whole = count_graph(&net, &e).unwrap();
    let a = crate::analysis::analyze(&net, &e).unwrap();
    let prepared = e.prepare(&net);
    let hashed = |r: &Region| {
        let mut r = r.clone();
        r.facts.map_hash = Some(crate::analysis::graph::map_fingerprint(&r.map, prepared.filter()));
        r
    };
    let mut stats = LpStats::default();
    let records: Vec<Record> =
        a.regions.iter().map(|r| record(&hashed(r), &prepared, &mut stats).unwrap()).collect();
    let full = edges(&records, true).unwrap();
    assert_eq!(full.count, whole.edges);
    for cut in 0..records.len() {
        let mut partial: Vec<Record> =
            a.regions.iter().map(|r| record(&hashed(r), &prepared, &mut stats).unwrap()).collect();
        partial[cut].across = None;
        // every edge is still found, from the other side for those of the region left out
        assert_eq!(edges(&partial, true).unwrap().count, full.count, "region {cut} left out");
        let token = StopToken::new(Some(std::time::Instant::now()), None);
        let c = tally(&prepared, partial, a.summary.clone(), &token).unwrap();
        assert_eq!(c.summary.stopped, Some(crate::enumerate::StopReason::TimeLimit));
        assert_eq!((c.regions, c.edges), (whole.regions, whole.edges));
    }
    // once the token has fired, no record is certified and no map compared
    let _stop = StopToken::new(Some(std::time::Instant::now()), None).install();
    let late = record(&hashed(&a.regions[0]), &prepared, &mut stats).unwrap();
    assert!(late.across.is_none());
}
