//! Sharded runs and the merge.

pub(crate) mod merge_checks;
pub(crate) mod shards;
