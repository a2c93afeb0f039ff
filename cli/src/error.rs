//! The player's error: one clear message saying what is wrong and where.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Everything that stops the player. Each variant prints as one sentence.
#[derive(Debug)]
pub enum Error {
    /// A file could not be read or written.
    Io {
        /// What the player was doing ("reading", "creating" ...).
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// A `.vcv` archive is not a readable zstd-compressed tar holding `patch.json`.
    Archive(String),
    /// `patch.json` is not valid JSON.
    Json(String),
    /// The JSON is valid but does not describe a playable patch.
    Patch(String),
    /// The command line asks for something impossible.
    Usage(String),
    /// A module panicked while the patch played (a bug in that module).
    Fault(String),
}

impl Error {
    /// An I/O error on a file.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Error {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// A patch structure error.
    pub fn patch(message: impl Into<String>) -> Error {
        Error::Patch(message.into())
    }

    /// A command-line error.
    pub fn usage(message: impl Into<String>) -> Error {
        Error::Usage(message.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io {
                action,
                path,
                source,
            } => write!(f, "{action} {}: {source}", path.display()),
            Error::Archive(m) => write!(f, "not a readable Rack patch archive: {m}"),
            Error::Json(m) => write!(f, "patch.json is not valid JSON: {m}"),
            Error::Patch(m) => write!(f, "invalid patch: {m}"),
            Error::Usage(m) => f.write_str(m),
            Error::Fault(m) => write!(f, "a module failed: {m}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The player's result type.
pub type Result<T> = std::result::Result<T, Error>;
