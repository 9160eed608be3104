//! Region enumeration: closed-form counts, invariants, degenerate networks, limits.

pub(crate) mod counts;
pub(crate) mod degenerate;
pub(crate) mod entry;
pub(crate) mod invariants;
pub(crate) mod last_layer;
pub(crate) mod limits;
pub(crate) mod properties;
