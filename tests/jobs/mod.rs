//! Sharded runs and the merge; counts of many boxes (`count_many`).

pub(crate) mod batch;
pub(crate) mod graph_streams;
pub(crate) mod merge_checks;
pub(crate) mod merge_stop;
pub(crate) mod merge_streams;
pub(crate) mod shards;
