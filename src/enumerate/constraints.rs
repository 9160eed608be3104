//! The constraints of a partial region as a persistent list shared with its ancestors.

use crate::enumerate::region::Constraint;
use crate::kernel::halfspace::Halfspace;
use std::sync::Arc;

/// The constraints of a partial region: the domain's rows, shared by all, then the neuron rows
/// added on the way down as a persistent list shared with the ancestors, so that a split copies
/// no constraint.
#[derive(Clone)]
pub(super) struct Constraints {
    pub(super) domain: Arc<Vec<Constraint>>,
    /// The newest neuron row first.
    neurons: Option<Arc<Link>>,
    /// How many neuron rows.
    len: usize,
}

struct Link {
    constraint: Constraint,
    parent: Option<Arc<Link>>,
}

impl Drop for Link {
    /// Unlinks iteratively: a long list must not drop recursively.
    fn drop(&mut self) {
        let mut next = self.parent.take();
        while let Some(link) = next {
            next = match Arc::try_unwrap(link) {
                Ok(mut owned) => owned.parent.take(),
                Err(_) => None,
            };
        }
    }
}

impl Constraints {
    pub(super) fn new(domain: Vec<Constraint>) -> Constraints {
        Constraints { domain: Arc::new(domain), neurons: None, len: 0 }
    }

    pub(super) fn push(&mut self, constraint: Constraint) {
        let parent = self.neurons.take();
        self.neurons = Some(Arc::new(Link { constraint, parent }));
        self.len += 1;
    }

    /// How many neuron rows.
    pub(super) fn neuron_count(&self) -> usize {
        self.len
    }

    /// The neuron constraints, oldest first.
    pub(super) fn neurons(&self) -> Vec<&Constraint> {
        let mut out = Vec::new();
        let mut at = self.neurons.as_deref();
        while let Some(link) = at {
            out.push(&link.constraint);
            at = link.parent.as_deref();
        }
        out.reverse();
        out
    }

    /// The halfspaces of the neuron constraints, oldest first.
    pub(super) fn neuron_rows(&self) -> Vec<&Halfspace> {
        self.neurons().into_iter().map(|c| &*c.halfspace).collect()
    }

    /// Every halfspace: the domain's, then the neurons' (oldest first).
    pub(super) fn rows(&self) -> Vec<&Halfspace> {
        self.domain.iter().map(|c| &*c.halfspace).chain(self.neuron_rows()).collect()
    }

    /// The constraints as a list (cloned), in the order of [`Constraints::rows`].
    pub(super) fn to_vec(&self) -> Vec<Constraint> {
        self.domain.iter().cloned().chain(self.neurons().into_iter().cloned()).collect()
    }
}
