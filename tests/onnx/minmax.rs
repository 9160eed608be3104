//! Issue 13 (part): `Max` and `Min` of the data and constants (`torch.maximum(x, c)`,
//! `torch.clamp` with tensor bounds): two pieces per unit, exactly; the regions pass the
//! independent checker. Max/Min over several data values: `maxunits`.

use crate::onnx::writer as onnx;
use crate::support::*;
use relu_regions::exact::num::Q;
use relu_regions::network::onnx::read_onnx;
use relu_regions::network::Domain;

pub(crate) fn model(op_between: (&str, &str)) -> Vec<u8> {
    onnx::model(
        &[
            onnx::node_with("Gemm", &["x", "W"], &["g"], &[onnx::attr_int("transB", 1)]),
            onnx::node(op_between.0, &["g", "C"], &["m"]),
            onnx::node(op_between.1, &["m", "D", "E"], &["n"]),
            onnx::node("MatMul", &["n", "G"], &["y"]),
        ],
        &[
            onnx::floats("W", &[3, 2], &crate::onnx::operators::values(6, 31)),
            onnx::floats("C", &[3], &[0.5, -1.0, 0.0]),
            onnx::floats("D", &[1], &[2.0]),
            onnx::floats("E", &[3], &[1.0, 3.0, 0.25]),
            onnx::floats("G", &[3, 1], &crate::onnx::operators::values(3, 32)),
        ],
        onnx::input("x", &[1, 2]),
    )
}

#[test]
fn max_and_min_with_constants_are_exact() {
    let net = read_onnx(&model(("Max", "Min")), "maxmin.onnx").unwrap();
    let (w, g) = (crate::onnx::operators::values(6, 31), crate::onnx::operators::values(3, 32));
    let (c, e) = ([0.5f32, -1.0, 0.0], [1.0f32, 3.0, 0.25]);
    let ex = crate::onnx::operators::exact;
    for x in crate::onnx::operators::points(2, 20) {
        let y: Q = (0..3)
            .map(|i| {
                let h: Q = (0..2).map(|j| ex(w[i * 2 + j]) * &x[j]).sum();
                let m = h.max(ex(c[i]));
                let n = m.min(ex(2.0)).min(ex(e[i]));
                n * ex(g[i])
            })
            .sum();
        assert_eq!(net.output(&x), vec![y]);
    }
    let boxed = net.with_domain(Domain::Box(vec![(r("-3"), r("3")); 2])).unwrap();
    let a = run(&boxed);
    assert!(a.regions().len() > 3);
    use relu_regions::check::{check_answer, CheckOptions};
    let doc = relu_regions::export::json::regions_document(&boxed, &a, None);
    let report = check_answer(&boxed, &doc, None, CheckOptions { partial: false, threads: 2 });
    assert!(report.failures.is_empty(), "{:?}", report.failures);
}
