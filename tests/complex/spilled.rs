//! `faces` at the memory of counting (issue 35 point 3): the compact complex
//! (`jobs::faces_spilled`) writes the bytes of the held one (`jobs::faces`) in every form
//! (`--jsonl`, the JSON document, with every face, one dimension or none), with one thread and
//! several, on boxes and all of R^d, generic and degenerate arrangements (the LP walk) and deep
//! networks; the f-vectors, boundedness and the faces read back agree face by face.

use crate::support::*;
use relu_regions::exact::num::{fmt_q, q};
use relu_regions::jobs::{self, Listed};
use relu_regions::network::{Domain, Network};
use relu_regions::Enumerator;

use super::threads::small_lines;

fn networks() -> Vec<Network> {
    vec![
        small_lines(30, 1, Domain::Whole),
        small_lines(30, 2, Domain::Box(vec![(q(-3), q(3)), (q(-3), q(3))])),
        generic(20, 2, &default_ts(20)),
        braid(4),
        arrangement(
            3,
            (0..10i64).map(|i| (vec![q(1), q(i % 4), q(i / 4)], q(i % 3))).collect(),
            Domain::Box(vec![(q(-2), q(2)), (q(-2), q(2)), (q(-2), q(2))]),
        ),
        Network::load(fixture("deep2d.json"), None).unwrap(),
        Network::load(fixture("seed.json"), None).unwrap(),
    ]
}

#[test]
fn the_compact_complex_writes_the_held_complexs_bytes() {
    for (n, net) in networks().iter().enumerate() {
        for threads in [1, 2] {
            let e = Enumerator::builder().threads(threads).build();
            let held = jobs::faces(net, &e).unwrap();
            let d = net.input_dim();
            for listed in [Listed::All, Listed::Nothing, Listed::OfDim(0), Listed::OfDim(d)] {
                let mut job = jobs::faces_spilled(net, &e, listed).unwrap();
                let (mut lines, mut old) = (Vec::new(), Vec::new());
                job.write_lines(None, &mut lines).unwrap();
                held.write_lines(listed, None, &mut old).unwrap();
                assert!(lines == old, "network {n}, {threads} threads, {listed:?}: --jsonl differs");
                let mut doc = Vec::new();
                job.write_json(None, &mut doc).unwrap();
                let old =
                    format!("{}\n", serde_json::to_string_pretty(&held.document(listed, None)).unwrap());
                assert!(
                    doc == old.as_bytes(),
                    "network {n}, {threads} threads, {listed:?}: the document differs"
                );
            }
        }
    }
}

#[test]
fn the_compact_complex_reads_back_every_face_of_the_held_one() {
    for (n, net) in networks().iter().enumerate() {
        let e = Enumerator::builder().build();
        let held = relu_regions::complex::complex(net, &e).unwrap();
        let mut job = jobs::faces_spilled(net, &e, Listed::All).unwrap();
        let c = job.complex();
        assert_eq!(c.len(), held.faces.len(), "network {n}");
        assert_eq!((c.f_vector(), c.f_vector_bounded()), (held.f_vector(), held.f_vector_bounded()));
        assert_eq!(c.euler_characteristic(), held.euler_characteristic());
        let mut at = 0;
        job.for_each_listed(|_, f| {
            let h = &held.faces[at];
            at += 1;
            assert_eq!((f.id, f.dim, &f.sign, f.bounded), (h.id, h.dim, &h.sign, h.bounded), "network {n}");
            assert_eq!(f.boundary.iter().map(|&b| b as usize).collect::<Vec<_>>(), h.boundary);
            let point: Vec<String> = serde_json::from_str(f.point.as_deref().unwrap()).unwrap();
            assert_eq!(point, h.point.to_vec().iter().map(fmt_q).collect::<Vec<_>>());
            Ok(())
        })
        .unwrap();
        assert_eq!(at, held.faces.len());
    }
}

#[test]
fn a_face_not_listed_keeps_no_point() {
    let net = generic(8, 2, &default_ts(8));
    let mut job = jobs::faces_spilled(&net, &Enumerator::builder().build(), Listed::OfDim(1)).unwrap();
    let mut seen = 0;
    job.for_each_listed(|_, f| {
        assert_eq!(f.dim, 1);
        assert!(f.point.is_some());
        seen += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, job.complex().f_vector()[1]);
    let mut nothing = jobs::faces_spilled(&net, &Enumerator::builder().build(), Listed::Nothing).unwrap();
    nothing.for_each_listed(|_, _| panic!("no face is listed")).unwrap();
    let f = nothing.face(0).unwrap();
    assert!(f.point.is_none());
}
