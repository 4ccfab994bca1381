//! What a field may say besides its type: a unit (`float[rpm]`, `unit: rpm`), quality and
//! source-timestamp columns (`quality: true`), a time format (`format:`, `zone:`); and the
//! checks of a field's name and columns.

use serde_yaml::{Mapping, Value};

use super::{FileLoader, PendingType, RESERVED_WORDS};
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::schema::{Field, FieldType, FieldUnit, QualityColumns, TimeFormatSpec};
use crate::source_map::Span;
use crate::units::Unit;

/// The named time formats; anything else with a `%` in it is a strftime pattern.
const NAMED_FORMATS: [(&str, TimeFormatSpec); 3] = [
    ("iso8601", TimeFormatSpec::Iso8601),
    ("epoch_s", TimeFormatSpec::EpochSeconds),
    ("epoch_ms", TimeFormatSpec::EpochMillis),
];

const ZONE_HELP: &str = "write the zone the data's wall-clock times are in: an IANA name such as `zone: Europe/Berlin`, `zone: UTC`, or a fixed offset such as `zone: \"+01:00\"`";

pub(super) fn unit_on_non_float(span: Span, field: &str, type_name: &str) -> Diagnostic {
    Diagnostic::error(
        Code::UnitOnNonFloat,
        format!("field `{field}` has a unit, but its type `{type_name}` is not `float`"),
    )
    .label(span, "a unit on a non-float field")
    .help("only `float` fields carry units; write `float[rpm]`, or remove the unit")
}

pub(super) fn format_on_non_timestamp(span: Span, field: &str, type_name: &str) -> Diagnostic {
    Diagnostic::error(
        Code::BadTimeFormat,
        format!("field `{field}` has a time format, but its type `{type_name}` is not `timestamp`"),
    )
    .label(span, "only for `timestamp` fields")
    .help("`format:` and `zone:` say how a timestamp is written; give the field `type: timestamp`, or remove them")
}

impl FileLoader<'_> {
    /// `"float[rpm]"` into `float` and the unit's text and span; an unclosed `[` is reported.
    pub(super) fn split_unit(
        &mut self,
        type_path: &[&str],
        field: &str,
        written: &str,
    ) -> Option<(String, Option<(String, Span)>)> {
        let Some(open) = written.find('[') else {
            return Some((written.trim().to_string(), None));
        };
        let Some(inner) = written[open + 1..].strip_suffix(']') else {
            let span = self.value_span(type_path, written);
            self.errors.push(
                Diagnostic::error(
                    Code::SchemaShape,
                    format!("the type of field `{field}` does not end with the `]` of its unit"),
                )
                .label(span, "no `]` at the end")
                .help("write the unit in brackets at the end of the type: `float[rpm]`, or `\"float[rpm]?\"` for an optional field"),
            );
            return None;
        };
        let bracketed = format!("[{inner}]");
        let outer = self.value_span(type_path, &bracketed);
        let span = if self.text.get(outer.start..outer.end) == Some(bracketed.as_str()) {
            let leading = inner.len() - inner.trim_start().len();
            let start = outer.start + 1 + leading;
            Span::new(self.file, start, start + inner.trim().len())
        } else {
            outer
        };
        Some((
            written[..open].trim().to_string(),
            Some((inner.trim().to_string(), span)),
        ))
    }

    /// The unit from the type (`float[rpm]`) or from `unit:`, parsed, on a `float` field.
    pub(super) fn field_unit(
        &mut self,
        path: &[&str],
        pending: &mut PendingType,
        in_type: Option<(String, Span)>,
        options: &Mapping,
    ) -> Option<FieldUnit> {
        let unit_path = [path, &["unit"]].concat();
        let from_key = match options.get("unit") {
            None => None,
            Some(Value::String(u)) => Some((u.trim().to_string(), self.value_span(&unit_path, u))),
            Some(_) => {
                self.shape_error(
                    &unit_path,
                    "not a unit",
                    format!("the unit of field `{}` must be text", pending.field),
                    "write the unit's symbol, such as `unit: rpm` or `unit: \"N*m\"`",
                );
                return None;
            }
        };
        let (text, span) = match (in_type, from_key) {
            (None, None) => return None,
            (Some(unit), None) | (None, Some(unit)) => unit,
            (Some((in_type, first)), Some((_, second))) => {
                self.errors.push(
                    Diagnostic::error(
                        Code::SchemaShape,
                        format!("field `{}` gives its unit twice", pending.field),
                    )
                    .label(second, "a second unit")
                    .label(first, "the unit in the type")
                    .help(format!("keep one: `type: \"{0}[{in_type}]\"`, or `type: {0}` with `unit: {in_type}`", pending.type_name)),
                );
                return None;
            }
        };
        if pending.type_name != "float" {
            if FieldType::builtin(&pending.type_name).is_some() {
                let d = unit_on_non_float(span, &pending.field, &pending.type_name);
                self.errors.push(d);
            } else {
                pending.misplaced_unit = Some(span);
            }
            return None;
        }
        match Unit::parse(&text) {
            Ok(unit) => Some(FieldUnit { unit, span }),
            Err(e) => {
                let help = e.suggestion.map(|s| format!("did you mean `{s}`?")).unwrap_or_else(|| {
                    "units are written like `mm`, `rpm`, `N*m`, `m/s^2`; see the list of units in the language reference".to_string()
                });
                let message = if text.is_empty() {
                    format!("field `{}` has empty unit brackets", pending.field)
                } else {
                    format!("unknown unit `{text}` on field `{}`", pending.field)
                };
                self.errors.push(
                    Diagnostic::error(Code::UnknownUnit, message)
                        .label(span, e.message)
                        .help(help),
                );
                None
            }
        }
    }

    /// `quality: true`, `quality_column:`, `timestamp_column:`; `external` is the field's
    /// column, which the default names extend.
    pub(super) fn quality_columns(
        &mut self,
        path: &[&str],
        external: &str,
        options: &Mapping,
    ) -> Option<QualityColumns> {
        let field = path.last().copied().unwrap_or("");
        let flag = self.flag(path, "quality", options);
        let column = |this: &mut Self, key: &str, suffix: &str| match options.get(key) {
            None => Some(format!("{external}_{suffix}")),
            Some(Value::String(c)) => Some(c.clone()),
            Some(_) => {
                this.shape_error(
                    &[path, &[key]].concat(),
                    "not a column name",
                    format!("`{key}` of field `{field}` must be a column name"),
                    "quote the column's name",
                );
                None
            }
        };
        let named = [
            "quality_column",
            "timestamp_column",
            "timestamp_format",
            "timestamp_zone",
        ]
        .iter()
        .any(|k| options.contains_key(*k));
        if flag == Some(false) && named {
            self.shape_error(
                &[path, &["quality"]].concat(),
                "`quality: false`",
                format!("field `{field}` names quality columns but says `quality: false`"),
                "naming a quality or timestamp column turns quality on; remove `quality: false`",
            );
            return None;
        }
        if flag != Some(true) && !named {
            return None;
        }
        let quality = column(self, "quality_column", "quality");
        let timestamp = column(self, "timestamp_column", "timestamp");
        Some(QualityColumns {
            quality: quality?,
            timestamp: timestamp?,
            timestamp_format: None,
        })
    }

    /// `format:` and `zone:` of a timestamp field.
    pub(super) fn time_format(
        &mut self,
        path: &[&str],
        pending: &mut PendingType,
        options: &Mapping,
    ) -> Option<TimeFormatSpec> {
        self.time_format_keys(path, pending, options, TimeKeys::VALUE)
    }

    /// `timestamp_format:` and `timestamp_zone:` of a field with quality: how its source
    /// timestamp column is written (RFC 3339 unless said otherwise).
    pub(super) fn sample_time_format(
        &mut self,
        path: &[&str],
        pending: &mut PendingType,
        options: &Mapping,
    ) -> Option<TimeFormatSpec> {
        self.time_format_keys(path, pending, options, TimeKeys::SAMPLE)
    }

    fn time_format_keys(
        &mut self,
        path: &[&str],
        pending: &mut PendingType,
        options: &Mapping,
        keys: TimeKeys,
    ) -> Option<TimeFormatSpec> {
        let TimeKeys {
            format: format_key,
            zone: zone_key,
            on_value,
        } = keys;
        let format_path = [path, &[format_key]].concat();
        let zone_path = [path, &[zone_key]].concat();
        let format = options.get(format_key);
        let zone = options.get(zone_key);
        let field = pending.field.clone();
        if format.is_none() && zone.is_none() {
            return None;
        }
        if on_value && pending.type_name != "timestamp" {
            let span = self.key_span(if format.is_some() {
                &format_path
            } else {
                &zone_path
            });
            if FieldType::builtin(&pending.type_name).is_some() {
                let d = format_on_non_timestamp(span, &field, &pending.type_name);
                self.errors.push(d);
            } else {
                pending.misplaced_format = Some(span);
            }
            return None;
        }
        let text_of = |this: &mut Self, key: &str, value: Option<&Value>| match value {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                this.shape_error(
                    &[path, &[key]].concat(),
                    "not text",
                    format!("`{key}` of field `{field}` must be text"),
                    "quote the value",
                );
                None
            }
        };
        let (format, zone) = (
            text_of(self, format_key, format),
            text_of(self, zone_key, zone),
        );
        let zone = zone.map(|z| {
            let span = self.value_span(&zone_path, &z);
            (z, span)
        });
        let Some(format) = format else {
            if let Some((_, span)) = zone.filter(|_| !options.contains_key(format_key)) {
                self.errors.push(
                    Diagnostic::error(Code::BadTimeFormat, format!("field `{field}` has a `{zone_key}:` but no `{format_key}:` pattern"))
                        .label(span, "a zone without a pattern")
                        .help("a zone says which wall clock the times of a `format:` pattern are in, as in `format: \"%d.%m.%Y %H:%M:%S\"`; RFC 3339 text carries its own offset, so remove `zone:` if the data is written that way"),
                );
            }
            return None;
        };
        let format_span = self.value_span(&format_path, &format);
        if let Some((_, spec)) = NAMED_FORMATS.iter().find(|(name, _)| *name == format) {
            if let Some((_, zone_span)) = zone {
                self.errors.push(
                    Diagnostic::error(Code::BadTimeFormat, format!("field `{field}` has a `{zone_key}:`, but its format `{format}` is not a pattern"))
                        .label(zone_span, "a zone without a pattern")
                        .label(format_span, "not a pattern")
                        .help("`iso8601` text carries its own offset and epoch times count from UTC, so they take no zone; remove `zone:`"),
                );
                return None;
            }
            return Some(spec.clone());
        }
        if !format.contains('%') {
            let names = NAMED_FORMATS.map(|(name, _)| name);
            let help = did_you_mean(&format, names).unwrap_or_else(|| {
                "a format is `iso8601`, `epoch_s`, `epoch_ms`, or a strftime pattern such as `\"%d.%m.%Y %H:%M:%S\"`".to_string()
            });
            self.errors.push(
                Diagnostic::error(
                    Code::BadTimeFormat,
                    format!("unknown time format `{format}` on field `{field}`"),
                )
                .label(format_span, "not a format name or a pattern")
                .help(help),
            );
            return None;
        }
        let mut valid = true;
        if let Err(why) = fdi_runtime::time::validate_format(&format) {
            valid = false;
            self.errors.push(
                Diagnostic::error(Code::BadTimeFormat, format!("the time format of field `{field}` is not a valid pattern"))
                    .label(format_span, why)
                    .help("patterns use strftime directives such as `%Y`, `%m`, `%d`, `%H`, `%M`, `%S`, `%.f`"),
            );
        }
        let Some((zone, zone_span)) = zone else {
            self.errors.push(
                Diagnostic::error(
                    Code::BadTimeFormat,
                    format!("the time format of field `{field}` has no zone"),
                )
                .label(format_span, format!("a pattern without `{zone_key}:`"))
                .help(format!(
                    "shop-floor clocks show local time, which is ambiguous without its zone; {}",
                    ZONE_HELP.replace("zone:", &format!("{zone_key}:"))
                )),
            );
            return None;
        };
        if let Err(why) = fdi_runtime::time::validate_zone(&zone) {
            self.errors.push(
                Diagnostic::error(
                    Code::BadTimeFormat,
                    format!("unknown time zone `{zone}` on field `{field}`"),
                )
                .label(zone_span, why)
                .help(ZONE_HELP.replace("zone:", &format!("{zone_key}:"))),
            );
            return None;
        }
        valid.then_some(TimeFormatSpec::Pattern { format, zone })
    }

    /// A field named like a keyword cannot be written in a mapping.
    pub(super) fn reserved_field_name(
        &mut self,
        entity: &str,
        name: &str,
        written_type: &str,
        column: Option<&str>,
    ) {
        let has_column = column.is_some();
        // Provenance columns (`_fdi_source`, ...) follow a target's own: a field or column
        // of that prefix could collide with them.
        let prefixed = [Some(name), column]
            .into_iter()
            .flatten()
            .find(|n| n.starts_with(fdi_runtime::provenance::PREFIX));
        if let Some(prefixed) = prefixed {
            let path = ["entities", entity, "fields", name];
            let (span, what, label) = if prefixed == name {
                (self.key_span(&path), String::new(), "a reserved prefix")
            } else {
                (
                    self.key_span(&[&path[..], &["column"]].concat()),
                    format!(" (its column `{prefixed}`)"),
                    "this column's name takes a reserved prefix",
                )
            };
            self.errors.push(
                Diagnostic::error(
                    Code::ReservedFieldName,
                    format!("field `{name}` of `{entity}`{what} uses the prefix `_fdi_`, which is reserved for provenance columns"),
                )
                .label(span, label)
                .help("rename it; a CSV or JSON source ignores columns its entity does not declare, so data written with provenance can be read without them"),
            );
            return;
        }
        if !RESERVED_WORDS.contains(&name) {
            return;
        }
        let span = self.key_span(&["entities", entity, "fields", name]);
        let help = if has_column {
            format!("rename it, for example to `{name}_value`; its `column:` keeps the data's name")
        } else {
            format!("rename it and keep the data's name with `column:`, for example `{name}_value: {{ type: {written_type}, column: {name} }}`")
        };
        self.errors.push(
            Diagnostic::error(
                Code::ReservedFieldName,
                format!("field `{name}` of `{entity}` is named like the keyword `{name}`, so a mapping cannot refer to it"),
            )
            .label(span, "a reserved word")
            .help(help),
        );
    }

    /// Every column an entity reads, including quality and timestamp columns, is read by one
    /// field only.
    pub(super) fn columns_distinct(&mut self, entity: &str, fields: &[Field]) {
        let mut seen: Vec<(String, Span, String)> = Vec::new();
        for field in fields {
            let path = ["entities", entity, "fields", field.name.as_str()];
            let mut columns = vec![(
                field.external_name().to_string(),
                match &field.column {
                    Some(c) => self.value_span(&[&path[..], &["column"]].concat(), c),
                    None => field.span,
                },
                format!("field `{}` reads it", field.name),
            )];
            if let Some(q) = &field.quality {
                for (column, key, what) in [
                    (&q.quality, "quality_column", "quality"),
                    (&q.timestamp, "timestamp_column", "source timestamp"),
                ] {
                    let key_path = [&path[..], &[key]].concat();
                    let span = match locate_column(self, &key_path, column) {
                        Some(span) => span,
                        None => self.key_span(&[&path[..], &["quality"]].concat()),
                    };
                    let text = format!("the {what} column of `{}`", field.name);
                    columns.push((column.clone(), span, text));
                }
            }
            for (column, span, text) in columns {
                if let Some((_, first_span, first_text)) = seen.iter().find(|(c, ..)| *c == column)
                {
                    self.errors.push(
                        Diagnostic::error(
                            Code::ColumnClash,
                            format!("entity `{entity}` reads the column `{column}` twice"),
                        )
                        .label(span, text)
                        .label(*first_span, first_text.clone())
                        .help("give one of them another column with `column:`, `quality_column:` or `timestamp_column:`"),
                    );
                } else {
                    seen.push((column, span, text));
                }
            }
        }
    }
}

/// The span of a column named by `key_path`, when the schema writes it there.
fn locate_column(loader: &FileLoader<'_>, key_path: &[&str], column: &str) -> Option<Span> {
    let span = loader.value_span(key_path, column);
    (loader.text.get(span.start..span.end) == Some(column)).then_some(span)
}

/// The keys a time format is read from: `format:`/`zone:` of a timestamp field's value, or
/// `timestamp_format:`/`timestamp_zone:` of a sample's source timestamp column.
#[derive(Clone, Copy)]
struct TimeKeys {
    format: &'static str,
    zone: &'static str,
    /// True for the field's own value, which must then be a timestamp.
    on_value: bool,
}

impl TimeKeys {
    const VALUE: TimeKeys = TimeKeys {
        format: "format",
        zone: "zone",
        on_value: true,
    };
    const SAMPLE: TimeKeys = TimeKeys {
        format: "timestamp_format",
        zone: "timestamp_zone",
        on_value: false,
    };
}
