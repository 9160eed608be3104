//! The shape of the code and its documentation.

pub(crate) mod docs;
pub(crate) mod layering;
