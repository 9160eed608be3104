//! The independent checker: correct answers pass, forgeries fail.

pub(crate) mod answers;
pub(crate) mod fields;
pub(crate) mod forgeries;
pub(crate) mod streams;
