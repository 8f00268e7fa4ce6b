//! The engine's one error type, grouped by kind.
//!
//! Every error says what went wrong in a full sentence that names the offending value. The
//! server maps each [`ErrorKind`] to an HTTP status with an exhaustive `match`, so a new kind
//! does not compile until it has one.

use std::path::PathBuf;

/// `Result` with the engine's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The broad class of an error, for callers that map errors to statuses or exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The caller sent something invalid (a bad field, an unknown code, an out-of-range value).
    InvalidInput,
    /// A referenced entity (solution, city, KPI, profile) does not exist.
    NotFound,
    /// The request conflicts with the current state.
    Conflict,
    /// A dependency (index, storage) is temporarily unavailable.
    Unavailable,
    /// A bug or an environment failure the caller cannot fix.
    Internal,
}

/// One problem found while validating a data file, with its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataProblem {
    /// The file the problem is in.
    pub file: PathBuf,
    /// 1-based line number, when the file is line-oriented.
    pub line: Option<usize>,
    /// What is wrong, as a sentence.
    pub message: String,
}

impl std::fmt::Display for DataProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file.display(), line, self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// Errors returned by the engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A KPI code that is not in the catalogue (after normalisation).
    #[error("unknown KPI code '{0}': it is not one of the 91 U4SSC KPIs")]
    UnknownKpi(String),
    /// A KPI code that cannot be a U4SSC code at all.
    #[error("malformed KPI code '{0}': expected the U4SSC form such as 'EC:I:WS:3C'")]
    MalformedKpiCode(String),
    /// A well-formed KPI code at a field that is not in the catalogue.
    #[error("unknown KPI code '{code}' at '{field}': it is not one of the 91 U4SSC KPIs")]
    UnknownKpiAt {
        /// The field, as a dotted path (`kpis[0].code`).
        field: String,
        /// The code, normalised.
        code: String,
    },
    /// A field of an input has an invalid value.
    #[error("invalid value for '{field}': {message}")]
    InvalidField {
        /// The field, as a dotted path (`observations[3].value`).
        field: String,
        /// What is wrong with it, as a sentence.
        message: String,
    },
    /// A referenced entity does not exist.
    #[error("{entity} '{id}' was not found")]
    NotFound {
        /// The kind of entity (`solution`, `city`, `profile`).
        entity: &'static str,
        /// Its id.
        id: String,
    },
    /// A data bundle or data file failed validation; every problem is listed.
    #[error("the data in {source_name} is invalid ({} problem(s)); first: {}", problems.len(), problems.first().map(|p| p.to_string()).unwrap_or_default())]
    InvalidData {
        /// What was being loaded.
        source_name: String,
        /// Every problem found, with file and line.
        problems: Vec<DataProblem>,
    },
    /// An input/output failure on a path.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The path being read or written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The full-text index failed.
    #[error("index error: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// A dependency is temporarily unavailable.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// An internal invariant was broken.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::UnknownKpi(_)
            | Error::UnknownKpiAt { .. }
            | Error::MalformedKpiCode(_)
            | Error::InvalidField { .. } => ErrorKind::InvalidInput,
            Error::InvalidData { .. } => ErrorKind::InvalidInput,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Unavailable(_) => ErrorKind::Unavailable,
            Error::Io { .. } | Error::Index(_) | Error::Internal(_) => ErrorKind::Internal,
        }
    }

    /// Shorthand for [`Error::InvalidField`].
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidField {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Shorthand for an I/O error on a path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
