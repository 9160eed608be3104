//! The independent checker: correct answers pass, forgeries fail (regions, graphs, faces and
//! `vnnlib` proofs).

pub(crate) mod answers;
pub(crate) mod fields;
pub(crate) mod forgeries;
pub(crate) mod high_dim;
pub(crate) mod proofs;
pub(crate) mod signs;
pub(crate) mod stream_reader;
pub(crate) mod streams;
pub(crate) mod streams_kept;
