//! The whole complex and the topology of level sets (issue 34): the library against closed
//! forms, brute force and identities; the commands `faces`, `boundary`, `count --faces` and
//! `check --faces`.

pub(crate) mod check_boundary;
pub(crate) mod check_rational;
pub(crate) mod cli;
pub(crate) mod faces;
pub(crate) mod plot;
pub(crate) mod plot_level;
pub(crate) mod spilled;
pub(crate) mod threads;
