//! The model and its readers: formats, domains, limits, hostile files.

pub(crate) mod domains;
pub(crate) mod hostile;
pub(crate) mod readers;
pub(crate) mod size_limits;
pub(crate) mod sparse;
