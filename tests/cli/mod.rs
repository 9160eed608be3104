//! The command line: fixtures, errors, plots.

pub(crate) mod errors;
pub(crate) mod fixtures;
pub(crate) mod plot;
