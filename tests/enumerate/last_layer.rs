//! A counting run decides the last ReLU layer on float approximations of its preactivations
//! (exact rows only where a decision needs them): it finds exactly the regions of the detailed
//! enumeration, which decides every layer on exact rows.

use crate::enumerate::invariants::{random_net, Rng};
use crate::support::fixture;
use relu_regions::enumerate::CountingSink;
use relu_regions::exact::num::{parse_rational, q};
use relu_regions::network::nnet::{read_nnet, Coords};
use relu_regions::network::{Domain, Network};
use relu_regions::Enumerator;
use relu_regions::Region;

/// The counts (regions, bounded) of a counting sink and of a detailed run.
fn counted_and_listed(net: &Network) -> ((usize, usize), (usize, usize)) {
    let e = Enumerator::builder().threads(1).build();
    let mut sink = CountingSink::default();
    assert!(e.enumerate(net, &mut sink).unwrap().complete());
    let mut regions: Vec<Region> = Vec::new();
    assert!(e.enumerate(net, &mut regions).unwrap().complete());
    let bounded = regions.iter().filter(|r| r.bounded()).count();
    ((sink.regions, sink.bounded), (regions.len(), bounded))
}

/// Random networks (weights with denominators 1-7, so the float products are inexact) on
/// boxes, two and three ReLU layers: the same counts.
#[test]
fn counting_on_approximate_last_layers_finds_every_region() {
    let mut rng = Rng::new(35);
    for (dim, widths) in [(2, vec![6, 5]), (2, vec![4, 4, 4]), (3, vec![5, 6]), (4, vec![4, 5, 3])] {
        let domain = Domain::Box((0..dim).map(|_| (q(-2), q(2))).collect());
        let net = random_net(&mut rng, dim, &widths, domain);
        let (counted, listed) = counted_and_listed(&net);
        assert!(listed.0 > widths[0], "a nontrivial partition: {listed:?}");
        assert_eq!(counted, listed, "{dim} inputs, widths {widths:?}");
    }
}

/// ACAS Xu 1_1 (decimal weights, six ReLU layers of 50) on a small box: the same 129 regions.
#[test]
fn counting_acas_xu_on_approximate_last_layers_finds_every_region() {
    let text = std::fs::read_to_string(fixture("nnet/ACASXU_run2a_1_1_batch_2000.nnet")).unwrap();
    let net = read_nnet(&text, "acas.nnet", Coords::Normalized).unwrap();
    let centre = ["0", "0.1", "-0.1", "0.2", "-0.2"];
    let half = parse_rational("0.005").unwrap();
    let bounds =
        centre.iter().map(|c| parse_rational(c).unwrap()).map(|c| (&c - &half, &c + &half)).collect();
    let net = net.with_domain(Domain::Box(bounds)).unwrap();
    let (counted, listed) = counted_and_listed(&net);
    assert_eq!(listed.0, listed.1, "every region of a box is bounded");
    assert!(listed.0 > 50, "{listed:?}");
    assert_eq!(counted, listed);
}
