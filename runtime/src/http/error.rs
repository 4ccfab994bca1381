//! What an HTTP failure that stops (or pauses) a run says, which failures are transient, and how long the
//! endpoint asked to be left alone (`Retry-After`).

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;

/// An HTTP failure that is not about one record. Its text names the target or source, the endpoint (never
/// a credential) and what was being done; [`HttpError::is_transient`] says whether the same request may
/// succeed later (a lost connection, a timeout, a 5xx, 408 or 429).
#[derive(Debug, thiserror::Error)]
#[error("{context}: {detail}")]
pub struct HttpError {
    /// `HTTP target confirmations (https://mes/api/confirmations): cannot POST 1 record(s)`.
    context: String,
    /// What went wrong, in the endpoint's or the client's words.
    pub detail: String,
    transient: bool,
    /// The endpoint's `Retry-After`, when it gave one.
    pub(crate) retry_after: Option<Duration>,
}

impl HttpError {
    /// A failure that no retry fixes (refused credentials, a certificate not trusted). `role` is "target"
    /// or "source", `endpoint` the URL asked.
    pub fn fatal(
        role: &'static str,
        name: &str,
        endpoint: &str,
        action: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        HttpError {
            context: format!("HTTP {role} {name} ({endpoint}): cannot {}", action.into()),
            detail: detail.into(),
            transient: false,
            retry_after: None,
        }
    }

    /// A failure the same request may not meet later.
    pub(crate) fn transient(
        role: &'static str,
        name: &str,
        endpoint: &str,
        action: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        HttpError {
            transient: true,
            ..Self::fatal(role, name, endpoint, action, detail)
        }
    }

    /// The client's `error` (no answer came): transient unless TLS refused the server's certificate or the
    /// request could not be built.
    pub(crate) fn client(
        role: &'static str,
        name: &str,
        endpoint: &str,
        action: impl Into<String>,
        error: &reqwest::Error,
        trust: crate::tls::Trust<'_>,
    ) -> Self {
        let host = reqwest::Url::parse(endpoint)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string));
        if let Some(refusal) = crate::tls::certificate_refusal(error, host.as_deref(), trust) {
            return Self::fatal(role, name, endpoint, action, refusal);
        }
        // Only a request that could not be built is not worth a retry; anything that went wrong on the way
        // (refused, reset, timed out, a body cut short) may go right later.
        HttpError {
            transient: !error.is_builder(),
            ..HttpError::fatal(role, name, endpoint, action, describe(error))
        }
    }

    /// Whether trying the same request again later may succeed.
    pub fn is_transient(&self) -> bool {
        self.transient
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.retry_after = retry_after;
        self
    }
}

impl From<HttpError> for crate::error::RunError {
    fn from(error: HttpError) -> Self {
        crate::error::RunError::Http(Box::new(error))
    }
}

/// The client's words for `error` with the causes under it (reqwest's own text is "error sending request").
pub(crate) fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        let inner_text = inner.to_string();
        if !text.contains(&inner_text) {
            text.push_str(&format!(": {inner_text}"));
        }
        cause = inner.source();
    }
    if error.is_timeout() && !text.contains("timed out") {
        text.push_str(" (timed out)");
    }
    text
}

/// What an answer's status means for the record(s) it answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// 2xx: taken.
    Accepted,
    /// 5xx, 408, 429: try again later (the endpoint is overloaded, restarting, or rate-limits us).
    Later,
    /// 401, 403, 407: the credentials are refused; every record would be, so the run stops.
    Unauthorized,
    /// Any other 4xx: the endpoint refuses these records (a validation error, an unknown order).
    Refused,
    /// 1xx, 3xx: not an answer a client of a JSON API expects (a redirect is not followed).
    Unexpected,
}

pub(crate) fn answer(status: StatusCode) -> Answer {
    match status.as_u16() {
        200..=299 => Answer::Accepted,
        408 | 429 | 500..=599 => Answer::Later,
        401 | 403 | 407 => Answer::Unauthorized,
        400..=499 => Answer::Refused,
        _ => Answer::Unexpected,
    }
}

/// `Retry-After` as seconds or an HTTP date (RFC 9110 10.2.3), from `now`; a date in the past is 0.
pub(crate) fn retry_after(
    headers: &reqwest::header::HeaderMap,
    now: SystemTime,
) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// At most this much of a refusing answer's body goes into a message or the dead letter.
pub(crate) const MAX_BODY_SHOWN: usize = 64 * 1024;

/// A body as text for a message, cut at [`MAX_BODY_SHOWN`] bytes.
pub(crate) fn body_text(body: &[u8]) -> String {
    let cut = &body[..body.len().min(MAX_BODY_SHOWN)];
    let mut text = String::from_utf8_lossy(cut).into_owned();
    if body.len() > MAX_BODY_SHOWN {
        text.push_str(&format!("... ({} bytes in all)", body.len()));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    #[test]
    fn retry_after_is_read_as_seconds_or_as_an_http_date() {
        let now = httpdate::parse_http_date("Sun, 06 Dec 2026 10:00:00 GMT").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(7)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Sun, 06 Dec 2026 10:00:12 GMT"),
        );
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(12)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Sun, 06 Dec 2026 09:00:00 GMT"),
        );
        assert_eq!(retry_after(&headers, now), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers, now), None);
    }

    #[test]
    fn statuses_are_taken_later_refused_or_stop_the_run() {
        let of = |code: u16| answer(StatusCode::from_u16(code).unwrap());
        assert_eq!(of(201), Answer::Accepted);
        assert_eq!(of(204), Answer::Accepted);
        for later in [408, 429, 500, 502, 503, 504] {
            assert_eq!(of(later), Answer::Later, "{later}");
        }
        for refused in [400, 404, 409, 422] {
            assert_eq!(of(refused), Answer::Refused, "{refused}");
        }
        assert_eq!(of(401), Answer::Unauthorized);
        assert_eq!(of(403), Answer::Unauthorized);
        assert_eq!(of(301), Answer::Unexpected);
    }
}
