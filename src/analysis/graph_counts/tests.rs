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
        r.facts.map_hash =
            Some(crate::forward::fingerprint::Fingerprints::new(prepared.fixed_layers()).of(&r.map));
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

/// The one map fingerprint: the enumerator's `map_hash` (from its fixed-point map, when the
/// sink asks for no map) is the fingerprint the graph computes from the region's rational map.
#[test]
fn the_map_hash_is_the_fingerprint_of_the_rational_map() {
    struct Hashes(Vec<Region>);
    impl Sink<Region> for Hashes {
        fn needs_map(&self) -> bool {
            false
        }
        fn item(&mut self, region: Region) -> Result<ControlFlow<()>, SinkError> {
            self.0.push(region);
            Ok(ControlFlow::Continue(()))
        }
    }
    let net = crate::network::json::read_network(
        r#"{"input_dim": 2, "layers": [
            {"weights": [["1/3", "-2"], ["1", "1/7"], ["1", "1"]], "bias": ["1/2", "0", "-1"], "activation": "relu"},
            {"weights": [["1", "-1", "0"], ["0", "1/5", "1"]], "bias": ["1/9", "0"], "activation": "relu"},
            {"weights": [["2", "-1/3"]], "activation": "linear"}]}"#,
        "t",
    )
    .unwrap();
    let e = Enumerator::builder().threads(1).build();
    let prepared = e.prepare(&net);
    let (with_maps, _) = e.collect(&net).unwrap();
    let mut hashes = Hashes(Vec::new());
    e.enumerate_prepared(&prepared, &mut hashes).unwrap();
    assert_eq!(hashes.0.len(), with_maps.len());
    let fingerprints = crate::forward::fingerprint::Fingerprints::new(prepared.fixed_layers());
    for (hashed, mapped) in hashes.0.iter().zip(&with_maps) {
        assert_eq!(hashed.pattern, mapped.pattern);
        assert_eq!(hashed.facts.map_hash, Some(fingerprints.of(&mapped.map)));
    }
    // different maps, different fingerprints here (a hash only proposes; these differ)
    let distinct: std::collections::HashSet<u64> =
        with_maps.iter().map(|r| fingerprints.of(&r.map)).collect();
    let maps: Vec<&crate::enumerate::region::AffineMap> = with_maps.iter().map(|r| &r.map).collect();
    let exact = (0..maps.len()).filter(|&i| !maps[..i].contains(&maps[i])).count();
    assert_eq!(distinct.len(), exact);
}
