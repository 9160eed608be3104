//! What the CLI says on stderr about a run.

use relu_regions::export::text::plural;
use relu_regions::Summary;

/// The warning on stderr for a run a limit, Ctrl-C or the sink stopped.
pub(crate) fn report_incomplete(summary: &Summary) {
    if let Some(reason) = summary.stopped() {
        eprintln!(
            "warning: INCOMPLETE result: stopped after {} ({reason}); everything found so far was written",
            plural(summary.regions(), "region")
        );
    }
}
