//! The command line's pieces: options ([`args`]), text rendering ([`render`]), the commands
//! that need more than a call into the library ([`commands`], [`check`]), those that print one
//! library call's answer ([`simple`]) and the command's stop token ([`stop`]).

pub(crate) mod args;
pub(crate) mod check;
pub(crate) mod commands;
pub(crate) mod faces;
pub(crate) mod progress;
pub(crate) mod render;
pub(crate) mod shard;
pub(crate) mod simple;
pub(crate) mod stop;

use relu_regions::InternalError;
use std::process::ExitCode;

/// Exit code of a failed verification or check.
pub(crate) const EXIT_FAILED: u8 = 1;
/// Exit code of bad input or usage.
pub(crate) const EXIT_BAD_INPUT: u8 = 2;
/// Exit code of a run stopped by a limit (the output is marked incomplete).
pub(crate) const EXIT_INCOMPLETE: u8 = 3;
/// Exit code of an internal error (an exact check failed on the tool's own answer: a bug).
pub(crate) const EXIT_INTERNAL: u8 = 4;

/// An error reported on stderr with exit code 2 (or 4 when it wraps an [`InternalError`]).
#[derive(Debug)]
pub(crate) struct BadInput(pub anyhow::Error);

impl From<InternalError> for BadInput {
    fn from(e: InternalError) -> BadInput {
        BadInput(anyhow::Error::new(e))
    }
}

impl From<relu_regions::jobs::JobError> for BadInput {
    fn from(e: relu_regions::jobs::JobError) -> BadInput {
        match e {
            relu_regions::jobs::JobError::Internal(e) => e.into(),
            other => BadInput(anyhow::anyhow!("{other}")),
        }
    }
}

impl BadInput {
    /// The exit code of this error.
    pub(crate) fn code(&self) -> ExitCode {
        if self.0.downcast_ref::<InternalError>().is_some() {
            ExitCode::from(EXIT_INTERNAL)
        } else {
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// Writing to stdout failed: a closed pipe (`regions ... | head`) is a quiet success, anything
/// else an error.
pub(crate) fn output_error(e: std::io::Error) -> BadInput {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    BadInput(anyhow::Error::from(e).context("cannot write output"))
}

/// 0 for a complete run, 3 for one a limit stopped.
pub(crate) fn exit_code(complete: bool) -> ExitCode {
    if complete {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INCOMPLETE)
    }
}
