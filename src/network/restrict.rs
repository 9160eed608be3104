//! The one affine restriction of a network: its composition with an affine map of a new input,
//! `x = origin + sum_k z_k d_k`. Planar slices, line segments and the fixed inputs of a VNN-LIB
//! case are all this map (with their own domains).

use super::weights::{sparse_dot, SparseRow};
use super::{Layer, Network};
use crate::exact::num::Q;
use num_traits::Zero;

impl Network {
    /// The layers of the network composed with `x = origin + sum_k z_k directions[k]`: a chain
    /// over the `directions.len()` inputs `z` computing exactly `N(origin + D z)`, each direction
    /// given by its nonzero entries `(input, value)`. Only the first layer changes (its bias gains
    /// `W origin`, its weights become `W D`, zero entries dropped).
    ///
    /// # Examples
    /// ```
    /// use relu_regions::{exact::num::q, Domain, Network};
    /// // relu(x + 2 y) on the line x = 1 + z, y = -z: relu(1 - z)
    /// let net = Network::from_json(r#"{"input_dim": 2, "layers": [
    ///     {"weights": [["1", "2"]], "activation": "relu"}]}"#).unwrap();
    /// let layers = net.compose_input(&[q(1), q(0)], &[vec![(0, q(1)), (1, q(-1))]]);
    /// let line = Network::new(1, layers, Domain::Whole).unwrap();
    /// assert_eq!(line.output(&[q(0)]), vec![q(1)]);
    /// assert_eq!(line.output(&[q(3)]), vec![q(0)]);
    /// ```
    pub fn compose_input(&self, origin: &[Q], directions: &[SparseRow]) -> Vec<Layer> {
        let mut layers: Vec<Layer> = self.layers().to_vec();
        let first = &mut layers[0];
        for (bias, row) in first.bias.iter_mut().zip(first.weights.rows()) {
            *bias += sparse_dot(row, origin);
        }
        // column j of D as its nonzero entries (k, d_kj): a row costs its entries times the
        // directions through each input (one for the unit directions of fixed inputs)
        let mut columns: Vec<Vec<(usize, &Q)>> = vec![Vec::new(); self.input_dim()];
        for (k, direction) in directions.iter().enumerate() {
            for (j, v) in direction {
                columns[*j].push((k, v));
            }
        }
        first.weights = first.weights.map_rows(directions.len(), |row| {
            row.iter().flat_map(|(j, w)| columns[*j].iter().map(move |(k, v)| (*k, w * *v))).collect()
        });
        layers
    }

    /// A dense direction as the sparse row [`Network::compose_input`] takes.
    pub(crate) fn sparse_direction(direction: &[Q]) -> SparseRow {
        direction.iter().enumerate().filter(|(_, v)| !v.is_zero()).map(|(j, v)| (j, v.clone())).collect()
    }
}
