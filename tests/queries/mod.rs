//! Questions asked of the regions: ranges, lines, locate, verification.

pub(crate) mod locate;
pub(crate) mod ranges_and_lines;
pub(crate) mod verify;
