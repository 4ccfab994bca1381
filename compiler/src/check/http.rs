//! The checks of HTTP sources and targets that need their entity: the fields a target's `path` names
//! (E0815) and its key for the idempotency keys (E0817), batches to such a path (E0818), a source's
//! `watermark` field (E0819), the form of paths, `records` and header names (E0816), and credentials
//! written into a path's query (E0802). Paths are handed to the runtime with each field's external
//! name, the name the record is serialized with.

use super::Checker;
use crate::diagnostic::{closest, Code, Diagnostic};
use crate::ir;
use crate::schema::Entity;
use crate::source_map::Span;
use crate::syntax::ast::{self, Connector, OptionValueKind};

/// A path as literal text and `{name}` placeholders.
enum PathPart<'p> {
    Literal(&'p str),
    Placeholder(&'p str),
}

/// The parts of `path`, or what is malformed about it (the runtime's `PathTemplate` reads paths so).
fn path_parts(path: &str) -> Result<Vec<PathPart<'_>>, String> {
    let mut parts = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err("it has a `}` without its `{`".into());
        }
        let Some(close) = rest[open..].find('}') else {
            return Err("it has a `{` without its `}`".into());
        };
        let name = &rest[open + 1..open + close];
        if name.is_empty() || name.contains('{') {
            return Err("it has an empty or nested `{}`".into());
        }
        if open > 0 {
            parts.push(PathPart::Literal(&rest[..open]));
        }
        parts.push(PathPart::Placeholder(name));
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        parts.push(PathPart::Literal(rest));
    }
    Ok(parts)
}

/// Whether `name` is an HTTP header name (RFC 9110 `token`).
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The written value of option `name`, when it is a text.
fn text_option<'c>(connector: &'c Connector, name: &str) -> Option<(&'c str, Span)> {
    connector.option(name).and_then(|o| match &o.value.kind {
        OptionValueKind::Text(text) => Some((text.as_str(), o.value.span)),
        _ => None,
    })
}

/// The name of a query parameter of `path` that carries a credential written into it (`?api_key=...`,
/// `&access_token=...`), if one does; a placeholder's value (`{watermark}`) is not written in.
fn credential_in_query(path: &str) -> Option<&str> {
    let (_, query) = path.split_once('?')?;
    query.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        let lower = name.to_ascii_lowercase();
        let words: Vec<&str> = lower.split(['_', '-', '.']).collect();
        let secret = words.iter().any(|w| {
            matches!(
                *w,
                "password" | "passwd" | "pwd" | "secret" | "token" | "credential" | "apikey"
            )
        }) || matches!(
            lower.as_str(),
            "key" | "api_key" | "api-key" | "access_key" | "subscription-key" | "sig" | "signature"
        );
        (secret && !value.is_empty() && !value.starts_with('{')).then_some(name)
    })
}

impl Checker<'_> {
    /// E0802 for a credential in a path's query: it belongs in the deployment settings.
    fn no_credential_in(&mut self, path: &str, span: Span) -> bool {
        let Some(name) = credential_in_query(path) else {
            return true;
        };
        self.report(
            Diagnostic::error(
                Code::SecretInMapping,
                format!("`{name}` in the path's query is a credential written in the mapping"),
            )
            .label(span, "a credential written into the mapping file")
            .help(format!(
                "a mapping is versioned and shared; credentials are deployment settings: remove `{name}=...` \
                 from the path and give the credential in the config file (`--config`) or the environment, \
                 as the connection's `token` (sent as `Authorization: Bearer ...`) or as a header the API \
                 reads it from (`header_x_api_key = ...` sends `x-api-key`)"
            )),
        );
        false
    }

    /// E0816 for a path that is malformed or a whole URL; its parts otherwise.
    fn path_of<'p>(&mut self, path: &'p str, span: Span) -> Option<Vec<PathPart<'p>>> {
        if path.contains("://") {
            self.report(
                Diagnostic::error(Code::MalformedHttpOption, "`path` is a whole URL")
                    .label(span, "a URL with its server")
                    .help(
                        "the server belongs in the deployment settings: give the connection's `base_url` there \
                         (`[connections.NAME] base_url = \"https://mes.plant/api\"`) and write only what follows \
                         it here, such as `\"/orders\"`",
                    ),
            );
            return None;
        }
        match path_parts(path) {
            Ok(parts) => Some(parts),
            Err(problem) => {
                self.report(
                    Diagnostic::error(
                        Code::MalformedHttpOption,
                        format!("`path` {path:?} is not well-formed: {problem}"),
                    )
                    .label(span, "malformed")
                    .help("a field of the record is written `{field}`, in braces that open and close once"),
                );
                None
            }
        }
    }

    /// An HTTP target's checks; its kind with the path's fields as the records name them.
    pub(super) fn http_target(
        &mut self,
        kind: ir::TargetKind,
        entity: &Entity,
        decl: &ast::TargetDecl,
    ) -> Option<ir::TargetKind> {
        let ir::TargetKind::Http {
            connection,
            path,
            method,
            batch,
            idempotency_key,
        } = kind
        else {
            return Some(kind);
        };
        let connector = &decl.connector;
        let path_span = text_option(connector, "path").map_or(connector.span, |(_, s)| s);
        let mut ok = self.no_credential_in(&path, path_span);
        let mut external = String::new();
        let mut named_fields = false;
        match self.path_of(&path, path_span) {
            None => ok = false,
            Some(parts) => {
                for part in parts {
                    match part {
                        PathPart::Literal(text) => external.push_str(text),
                        PathPart::Placeholder(name) => {
                            named_fields = true;
                            match entity.field(name) {
                                Some(field) => {
                                    external.push_str(&format!("{{{}}}", field.external_name()))
                                }
                                None => {
                                    ok = false;
                                    let names = entity.fields.iter().map(|f| f.name.as_str());
                                    self.report(
                                        Diagnostic::error(
                                            Code::UnknownPathField,
                                            format!(
                                                "`{{{name}}}` in the path: `{}` has no field `{name}`",
                                                entity.name
                                            ),
                                        )
                                        .label(path_span, format!("names `{name}`"))
                                        // The label is the whole path: the fix names the placeholder.
                                        .help(closest(name, names).map(|field| format!("replace `{{{name}}}` with `{{{field}}}`")).unwrap_or_else(|| {
                                            format!(
                                                "a placeholder names a field of `{}`, the entity the target writes",
                                                entity.name
                                            )
                                        })),
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
        if named_fields && batch > 1 {
            ok = false;
            let batch_span = connector
                .option("batch")
                .map_or(connector.span, |o| o.value.span);
            self.report(
                Diagnostic::error(
                    Code::BatchedPathWithFields,
                    format!("target `{}` sends batches to a path of the record's fields", decl.name.name),
                )
                .label(batch_span, format!("{batch} records per request"))
                .label(path_span, "a path of its own for each record")
                .help("records of one batch could need different paths: send one record per request (`batch: 1`), or batch to a path without `{field}`"),
            );
        }
        if let Some((header, span)) = text_option(connector, "idempotency_key") {
            if !header.is_empty() && !is_header_name(header) {
                ok = false;
                self.report(
                    Diagnostic::error(
                        Code::MalformedHttpOption,
                        format!("`idempotency_key` {header:?} is not an HTTP header name"),
                    )
                    .label(span, "not a header name")
                    .help("a header name is letters, digits and `-` (`Idempotency-Key`, `X-Request-Id`)"),
                );
            }
        }
        if decl.key.is_empty() && !idempotency_key.is_empty() {
            ok = false;
            self.report(
                Diagnostic::error(
                    Code::HttpTargetWithoutKey,
                    format!("HTTP target `{}` has no key for its idempotency keys", decl.name.name),
                )
                .label(decl.entity.span, "declared without `key`")
                .help(format!(
                    "a retried request carries the same idempotency key, made of the record's key fields, so the \
                     endpoint takes it once: add the fields that identify a record (`as {} key FIELD`); or, for \
                     an endpoint that ignores such keys, send none with `idempotency_key: \"\"`",
                    entity.name
                )),
            );
        }
        ok.then_some(ir::TargetKind::Http {
            connection,
            path: external,
            method,
            batch,
            idempotency_key,
        })
    }

    /// An HTTP source's checks; its kind with the watermark field as the records name it.
    pub(super) fn http_source(
        &mut self,
        kind: ir::SourceKind,
        entity: &Entity,
        connector: &Connector,
    ) -> Option<ir::SourceKind> {
        let ir::SourceKind::Http {
            connection,
            path,
            records,
            watermark,
            poll_interval_ms,
        } = kind
        else {
            return Some(kind);
        };
        let by_document = matches!(watermark.as_str(), "etag" | "last_modified");
        let path_span = text_option(connector, "path").map_or(connector.span, |(_, s)| s);
        let mut ok = self.no_credential_in(&path, path_span);
        if let Some(parts) = self.path_of(&path, path_span) {
            for part in parts {
                let PathPart::Placeholder(name) = part else {
                    continue;
                };
                let problem = match name {
                    "watermark" if by_document => format!(
                        "`{{watermark}}` in the path of a source read by its document's {watermark}"
                    ),
                    "watermark" => continue,
                    other => format!("`{{{other}}}` in a source's path"),
                };
                ok = false;
                self.report(
                    Diagnostic::error(Code::MalformedHttpOption, problem)
                        .label(path_span, "cannot be filled in")
                        .help(if by_document {
                            "a document read by `etag` or `last_modified` is asked for whole: remove the placeholder"
                        } else {
                            "a source's path may hold `{watermark}`, the last watermark read (`/orders?since={watermark}`), and no other placeholder"
                        }),
                );
            }
        } else {
            ok = false;
        }
        if let Some((text, span)) = text_option(connector, "records") {
            if !text.is_empty() && text.split('.').any(str::is_empty) {
                ok = false;
                self.report(
                    Diagnostic::error(
                        Code::MalformedHttpOption,
                        format!("`records` {text:?} is not a path of keys"),
                    )
                    .label(span, "an empty key")
                    .help(format!(
                        "write the keys to the array separated by single dots, such as `{:?}`",
                        text.split('.')
                            .filter(|k| !k.is_empty())
                            .collect::<Vec<_>>()
                            .join(".")
                    )),
                );
            }
        }
        let watermark = if by_document {
            watermark
        } else {
            match entity.field(&watermark) {
                Some(field) => field.external_name().to_string(),
                None => {
                    let span =
                        text_option(connector, "watermark").map_or(connector.span, |(_, s)| s);
                    let candidates = entity
                        .fields
                        .iter()
                        .map(|f| f.name.as_str())
                        .chain(["etag", "last_modified"]);
                    self.report(
                        Diagnostic::error(
                            Code::UnknownWatermarkField,
                            format!(
                                "`{watermark}` is not a field of `{}`, nor `etag` or `last_modified`",
                                entity.name
                            ),
                        )
                        .label(span, "not a field of the records")
                        // The label is the text with its quotes: so is the fix.
                        .help(closest(&watermark, candidates).map(|field| format!("replace `\"{watermark}\"` with `\"{field}\"`")).unwrap_or_else(|| {
                            format!(
                                "name a field of `{}` whose values grow (an id, an instant), or read the document \
                                 by `\"etag\"` or `\"last_modified\"`",
                                entity.name
                            )
                        })),
                    );
                    return None;
                }
            }
        };
        ok.then_some(ir::SourceKind::Http {
            connection,
            path,
            records,
            watermark,
            poll_interval_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::credential_in_query;

    #[test]
    fn credentials_in_a_query_are_found_and_ordinary_parameters_are_not() {
        assert_eq!(
            credential_in_query("/orders?api_key=abc123"),
            Some("api_key")
        );
        assert_eq!(
            credential_in_query("/orders?plant=3&access_token=x"),
            Some("access_token")
        );
        assert_eq!(
            credential_in_query("/orders?since={watermark}&sort_key=seq"),
            None
        );
        assert_eq!(
            credential_in_query("/orders?keyword=spindle&limit=50"),
            None
        );
        assert_eq!(credential_in_query("/orders?token={watermark}"), None);
        assert_eq!(credential_in_query("/orders"), None);
    }
}
