//! The HTTP connector: REST endpoints (an MES or ERP API) as targets (POST or PUT of JSON records, alone or
//! in batches, with an idempotency key) and as sources (a JSON document polled, its records selected by a
//! path, read on from a stored watermark). reqwest on the run's tokio threads, TLS by rustls on ring.
//!
//! Answers and what they mean are decided in one place (`error.rs`): 2xx taken; 5xx, 408, 429 and no
//! answer retried (honouring `Retry-After`); 401, 403, 407 stop the run; any other 4xx refuses the
//! record(s), which are dead-lettered with the status and the body.

mod connection;
mod error;
mod records;
mod source;
mod state;
mod target;
mod template;

pub use self::connection::{Auth, HttpConnection};
pub use self::error::HttpError;
pub use self::records::select;
pub use self::source::{HttpSource, HttpSourceOptions, Watermark};
pub use self::state::{Position as HttpPosition, StateFile};
pub use self::target::{HttpMethod, HttpTarget, HttpTargetOptions};
pub use self::template::{idempotency_key, PathTemplate};
