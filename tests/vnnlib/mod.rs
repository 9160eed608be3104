//! VNN-LIB properties: reading, strictness, decisions with proofs.

pub(crate) mod decide;
pub(crate) mod fingerprint;
pub(crate) mod formula;
pub(crate) mod reference;
pub(crate) mod root;
pub(crate) mod strict;
