//! The product of a fixed-point map with a layer: `h -> W mask(h) + b` composed with a region's
//! map, in integers over the common denominator, with lazy carries.
//!
//! Sparse rows stay cheap: an input row's nonzero entries are read from its support when it
//! has one, and an output row that touches few columns (a convolution's, a pooling
//! candidate's) is accumulated, normalized and imaged on those columns only. Dense rows take
//! the plain path over every column.

use super::{limbs, FixedLayer, FixedMap};

/// A nonzero entry of a map, listed for a product: its column, and its magnitude's limbs at
/// `at..at + len` of a shared buffer.
#[derive(Debug, Clone, Copy)]
struct Entry {
    column: usize,
    at: usize,
    len: usize,
    negative: bool,
}

/// The nonzero entries of the rows of `map` that are on in `mask`, each row's from its support
/// (and the offset column) when it has one, with the largest magnitude's bit length.
fn nonzero_entries(map: &FixedMap, mask: Option<&[bool]>) -> (Vec<Vec<Entry>>, Vec<u64>, u64) {
    let (k, cols) = (map.limbs, map.cols);
    let mut entries: Vec<Vec<Entry>> = vec![Vec::new(); map.rows];
    let mut magnitude = Vec::new();
    let mut scratch = vec![0u64; k];
    let mut v_bits = 0;
    for (h, row) in entries.iter_mut().enumerate() {
        if mask.is_some_and(|m| !m[h]) {
            continue;
        }
        let mut take = |j: usize| {
            let e = map.entry(h, j);
            if e.iter().all(|&l| l == 0) {
                return;
            }
            let negative = limbs::magnitude_into(e, &mut scratch);
            let len = limbs::significant_len(&scratch);
            v_bits = v_bits.max(limbs::bit_len(&scratch));
            row.push(Entry { column: j, at: magnitude.len(), len, negative });
            magnitude.extend_from_slice(&scratch[..len]);
        };
        match map.row_support(h) {
            Some(columns) => {
                columns.iter().for_each(|&j| take(j));
                take(cols - 1);
            }
            None => (0..cols).for_each(take),
        }
    }
    (entries, magnitude, v_bits)
}

/// Whether a row touching `touched` of `cols` columns is sparse (the rule of
/// [`FixedMap::row_support`]: a quarter of the Jacobian columns or fewer).
fn sparse(touched: usize, cols: usize) -> bool {
    4 * touched < cols
}

impl FixedMap {
    /// The map, with the rows whose bit in `mask` is off zeroed (a ReLU with a fixed pattern),
    /// followed by the affine layer `h -> W h + b`; the masked map is never built. The layer must
    /// be prepared for this map's denominator, as [`FixedLayer::chain`] does.
    ///
    /// In few columns with single-limb weights the product is summed an entry at a time
    /// ([`super::dense`]); the map is the same.
    pub(crate) fn then_masked_layer(&self, mask: Option<&[bool]>, layer: &FixedLayer) -> FixedMap {
        assert_eq!(*self.den, *layer.den_in, "layer prepared for another denominator");
        assert_eq!(self.rows, layer.inputs(), "layer input size");
        if super::dense::applies(self, layer) {
            return super::dense::then_masked_layer_dense(self, mask, layer);
        }
        self.then_masked_layer_general(mask, layer)
    }

    /// [`FixedMap::then_masked_layer`] row by row over the input rows' nonzero entries (any
    /// map, any layer).
    pub(super) fn then_masked_layer_general(&self, mask: Option<&[bool]>, layer: &FixedLayer) -> FixedMap {
        let cols = self.cols;
        // rows switched off contribute nothing, and a convolution's row has kernel-size
        // nonzeros among thousands of columns
        let (entries, magnitude, v_bits) = nonzero_entries(self, mask);
        let terms = (self.rows + 1) as u64;
        let bits = (layer.w_bits + v_bits).max(layer.b_bits) + u64::from(64 - terms.leading_zeros()) + 1;
        let k_out = (bits.div_ceil(64) as usize).max(layer.b_limbs);
        let out_rows = layer.w.len();
        let mut data = vec![0u64; out_rows * cols * k_out];
        let mut floats = vec![0.0f64; out_rows * cols];
        let mut support = Vec::with_capacity(out_rows);
        let kw = layer.w_limbs;
        // lazy carries: limb products land in u128 sums (wrapping, read back as i128: each sum
        // stays below 2^(72 + log2 rows) in magnitude), normalized once per entry
        let mut acc = vec![0u128; cols * k_out];
        // each output row's weights on rows that are on: read from the layer's columns when
        // few rows are on (after a max layer, one candidate of each unit), else from its rows
        let on_rows: Vec<usize> = (0..self.rows).filter(|&h| !entries[h].is_empty()).collect();
        let gathered: usize = on_rows.iter().map(|&h| layer.col_start[h + 1] - layer.col_start[h]).sum();
        let buckets: Option<Vec<Vec<(usize, usize)>>> = (2 * gathered < layer.col_row.len()).then(|| {
            let mut buckets = vec![Vec::new(); out_rows];
            for &h in &on_rows {
                for n in layer.col_start[h]..layer.col_start[h + 1] {
                    buckets[layer.col_row[n]].push((h, n));
                }
            }
            buckets
        });
        let (magnitudes, negative) = match buckets {
            Some(_) => (&layer.col_magnitude, &layer.col_negative),
            None => (&layer.w_magnitude, &layer.w_negative),
        };
        let mut weights_of_row: Vec<(usize, usize)> = Vec::new();
        // the columns an output row touches, while it looks sparse
        let (mut touched, mut is_touched) = (Vec::new(), vec![false; cols]);
        for (i, (out, out_floats)) in
            data.chunks_exact_mut(cols * k_out).zip(floats.chunks_exact_mut(cols)).enumerate()
        {
            let b = &layer.bias_scaled[i * layer.b_limbs..(i + 1) * layer.b_limbs];
            let fill = if limbs::is_negative(b) { u64::MAX } else { 0 };
            for (t, sum) in acc[(cols - 1) * k_out..].iter_mut().enumerate() {
                *sum = u128::from(b.get(t).copied().unwrap_or(fill));
            }
            let mut dense = false;
            weights_of_row.clear();
            match &buckets {
                Some(buckets) => weights_of_row.extend_from_slice(&buckets[i]),
                None => weights_of_row.extend(
                    layer.w[i]
                        .iter()
                        .enumerate()
                        .filter(|(_, (h, _))| !entries[*h].is_empty())
                        .map(|(t, (h, _))| (*h, layer.w_start[i] + t)),
                ),
            }
            for &(h, wi) in &weights_of_row {
                let w = &magnitudes[wi * kw..(wi + 1) * kw];
                let w = &w[..limbs::significant_len(w)];
                if w.is_empty() {
                    continue;
                }
                for e in &entries[h] {
                    let v = &magnitude[e.at..e.at + e.len];
                    let sums = &mut acc[e.column * k_out..(e.column + 1) * k_out];
                    limbs::accumulate(sums, w, v, negative[wi] != e.negative);
                }
                if !dense {
                    for e in entries[h].iter().filter(|e| e.column < cols - 1) {
                        if !is_touched[e.column] {
                            is_touched[e.column] = true;
                            touched.push(e.column);
                        }
                    }
                    dense = !sparse(touched.len(), cols);
                }
            }
            let entry_of = |j: usize| j * k_out..(j + 1) * k_out;
            if dense {
                for (entry, sums) in out.chunks_exact_mut(k_out).zip(acc.chunks_exact(k_out)) {
                    limbs::normalize(sums, entry);
                }
                for (f, entry) in out_floats.iter_mut().zip(out.chunks_exact(k_out)) {
                    *f = limbs::to_f64(entry);
                }
                let nonzero: Vec<usize> =
                    (0..cols - 1).filter(|&j| out[entry_of(j)].iter().any(|&l| l != 0)).collect();
                support.push(sparse(nonzero.len(), cols).then_some(nonzero));
                acc.fill(0);
            } else {
                touched.sort_unstable();
                touched.push(cols - 1);
                for &j in &touched {
                    limbs::normalize(&acc[entry_of(j)], &mut out[entry_of(j)]);
                    out_floats[j] = limbs::to_f64(&out[entry_of(j)]);
                    acc[entry_of(j)].fill(0);
                }
                touched.pop();
            }
            for &j in &touched {
                is_touched[j] = false;
            }
            if !dense {
                touched.retain(|&j| out[entry_of(j)].iter().any(|&l| l != 0));
                support.push(Some(std::mem::take(&mut touched)));
            }
            touched.clear();
        }
        FixedMap { rows: out_rows, cols, limbs: k_out, data, floats, den: layer.den_out.clone(), support }
    }
}
