//! The names other languages give to what fdi's functions do (`strip`, `toUpperCase`, `len`,
//! `int`, `now`), for the help of an unknown function (E0316): the function that does the
//! job, written as a call the reader can paste, rather than the closest spelling (`strip` is
//! not `string`). One table; a name is looked up without case and underscores, so `to_upper`,
//! `toUpper` and `TOUPPER` are one entry.

use super::expr::Scope;
use super::unit_help::replace;
use super::Checker;
use crate::format::format_expression;
use crate::ir::{Builtin, Type};
use crate::syntax::ast::{self, Ident};

/// What fdi writes instead of a name from another language.
enum Instead {
    /// This function, with the same arguments in the same order.
    Same(Builtin),
    /// A conversion: the function depends on the type of the one argument, and an argument of
    /// the `result` type needs none.
    Convert {
        result: Type,
        from: &'static [(Kind, Builtin)],
    },
    /// Formatting a timestamp, whose arguments other languages write in either order and
    /// without a zone: `format_timestamp(ts, format, zone)`.
    FormatTimestamp,
    /// fdi has no such function; the text says what to do instead.
    Missing(&'static str),
}

/// The type of an argument, as far as a conversion cares.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Int,
    Float,
}

const TO_INT: Instead = Instead::Convert {
    result: Type::Int,
    from: &[
        (Kind::Text, Builtin::ParseInt),
        (Kind::Float, Builtin::ToInt),
    ],
};
const TO_FLOAT: Instead = Instead::Convert {
    result: Type::Float,
    from: &[
        (Kind::Text, Builtin::ParseFloat),
        (Kind::Int, Builtin::ToFloat),
    ],
};
const TO_TIMESTAMP: Instead = Instead::Convert {
    result: Type::Timestamp,
    from: &[
        (Kind::Text, Builtin::ParseTimestamp),
        (Kind::Float, Builtin::FromEpochSeconds),
        (Kind::Int, Builtin::FromEpochSeconds),
    ],
};
const NO_LENGTH: &str = "fdi has no function for the length of a text; to check a text's shape, declare an identifier type with a `length` or `pattern` in the schema and build it with `Type(text)`";
const NO_PART: &str = "fdi has no function that takes part of a text or searches in it; to check a text's shape, declare an identifier type with a `pattern` in the schema, or compare whole values with `==` or `match`";
const NO_CLOCK: &str = "a mapping has no clock: a record maps to the same values whenever it is run or replayed; take the time from the record, a `timestamp` field of the source";

/// Names of other languages (written lower case, without underscores) and what fdi writes.
/// fdi's own functions are found this way too (`parseInt`, `toFloat`).
const ALIASES: &[(&[&str], Instead)] = &[
    (&["strip", "btrim", "trimspace", "trimmed"], Instead::Same(Builtin::Trim)),
    (
        &["toupper", "touppercase", "uppercase", "upcase", "ucase", "strtoupper"],
        Instead::Same(Builtin::Upper),
    ),
    (
        &["tolower", "tolowercase", "lowercase", "downcase", "lcase", "strtolower"],
        Instead::Same(Builtin::Lower),
    ),
    (
        &["str", "tostring", "tostr", "asstring", "tochar", "text"],
        Instead::Same(Builtin::String),
    ),
    (&["int", "integer", "toint", "atoi", "int64", "long", "cint"], TO_INT),
    (
        &["float", "double", "tofloat", "todouble", "atof", "number", "real", "float64", "cdbl"],
        TO_FLOAT,
    ),
    (
        &["totimestamp", "todatetime", "todate", "datetime", "parsedate", "parsedatetime", "fromtimestamp", "fromunixtime"],
        TO_TIMESTAMP,
    ),
    (
        &["strftime", "dateformat", "formatdate", "formatdatetime", "tochartimestamp"],
        Instead::FormatTimestamp,
    ),
    (&["gettime", "tomillis", "epochmillis", "toepochmilli"], Instead::Same(Builtin::ToEpochMillis)),
    (&["ofepochmilli", "fromepochmilli"], Instead::Same(Builtin::FromEpochMillis)),
    (&["ofepochsecond", "fromepochsecond"], Instead::Same(Builtin::FromEpochSeconds)),
    (&["strcat", "concatenate", "concatws"], Instead::Same(Builtin::Concat)),
    (&["ifnull", "nvl", "isnull", "nz", "firstnonnull"], Instead::Same(Builtin::Coalesce)),
    (&["len", "length", "size", "strlen", "charlength", "count"], Instead::Missing(NO_LENGTH)),
    (
        &["substr", "substring", "slice", "mid", "left", "right", "startswith", "endswith", "contains", "includes", "indexof", "find", "replace", "split", "regexpreplace", "sub", "gsub"],
        Instead::Missing(NO_PART),
    ),
    (
        &["now", "today", "utcnow", "currenttimestamp", "getdate", "sysdate", "currentdate", "systimestamp"],
        Instead::Missing(NO_CLOCK),
    ),
    (
        &["lstrip", "rstrip", "ltrim", "rtrim", "trimstart", "trimend", "trimleft", "trimright"],
        Instead::Missing("fdi's `trim(text)` removes the whitespace at both ends; there is no function for one end only"),
    ),
    (
        &["floor", "ceil", "ceiling", "trunc", "truncate"],
        Instead::Missing("fdi rounds with `round(value)` or `round(value, decimals)`, half away from zero; there is no rounding down or up"),
    ),
];

fn normal(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

impl Checker<'_> {
    /// The help for a call of an unknown function that another language, or fdi under another
    /// spelling, has: the call rewritten with fdi's function. `None` when the name is not in
    /// the table. Checks the arguments when the function depends on their type.
    pub(super) fn alias_help(
        &mut self,
        whole: &ast::Expr,
        function: &Ident,
        args: &[ast::Expr],
        scope: &mut Scope,
    ) -> Option<String> {
        let name = normal(&function.name);
        let own_spelling = Builtin::ALL
            .iter()
            .find(|b| normal(b.name()) == name)
            .map(|b| Instead::Same(*b));
        let instead = own_spelling.as_ref().or_else(|| {
            ALIASES
                .iter()
                .find(|(names, _)| names.contains(&name.as_str()))
                .map(|(_, instead)| instead)
        })?;
        if matches!(instead, Instead::Same(_) | Instead::Missing(_)) {
            // The arguments' own errors are reported; their types do not change the help.
            for arg in args {
                self.expr(arg, scope);
            }
        }
        let written = format_expression(whole);
        let arguments: Vec<String> = args.iter().map(format_expression).collect();
        let call = |b: Builtin, args: &[String]| format!("{}({})", b.name(), args.join(", "));
        Some(match instead {
            Instead::Same(builtin) if super::builtins::accepts(*builtin, args.len()) => {
                let note = note(*builtin, &arguments);
                format!(
                    "fdi calls this function `{}`: {}{note}",
                    builtin.name(),
                    replace(&written, &call(*builtin, &arguments))
                )
            }
            Instead::Same(builtin) => format!(
                "fdi calls this function `{}`, and it takes {}",
                builtin.name(),
                super::builtins::usage(*builtin)
            ),
            Instead::Convert { result, from } => {
                let [arg] = args else {
                    let usages: Vec<String> = from
                        .iter()
                        .map(|(_, b)| format!("`{}(value)`", b.name()))
                        .collect();
                    return Some(format!(
                        "fdi converts one value at a time: {}",
                        usages.join(" or ")
                    ));
                };
                let value = self.expr(arg, scope)?;
                let kind = match &value.ty {
                    Type::String => Some(Kind::Text),
                    Type::Int => Some(Kind::Int),
                    t if t.is_float() => Some(Kind::Float),
                    _ => None,
                };
                if value.ty == *result {
                    return Some(format!(
                        "`{}` is already {}: {}",
                        arguments[0],
                        super::flow::a(result),
                        replace(&written, &arguments[0])
                    ));
                }
                match from.iter().find(|(k, _)| Some(*k) == kind) {
                    Some((_, builtin)) => format!(
                        "fdi writes this conversion `{}`: {}{}",
                        builtin.name(),
                        replace(&written, &call(*builtin, &arguments)),
                        note(*builtin, &arguments)
                    ),
                    None => {
                        let usages: Vec<String> = from
                            .iter()
                            .map(|(_, b)| super::builtins::usage(*b))
                            .collect();
                        format!(
                            "fdi has no conversion from {} to {}; its conversions to {} are {}",
                            super::flow::a(&value.ty),
                            super::flow::a(result),
                            result,
                            usages.join(", ")
                        )
                    }
                }
            }
            Instead::FormatTimestamp => {
                let checked: Vec<Option<Type>> = args
                    .iter()
                    .map(|a| self.expr(a, scope).map(|v| v.ty))
                    .collect();
                let timestamp = checked.iter().position(|t| *t == Some(Type::Timestamp));
                match (timestamp, args.len()) {
                    (Some(ts), 2) => {
                        let format = &arguments[1 - ts];
                        format!(
                            "fdi writes this `format_timestamp(timestamp, format, zone)`, with the time zone to write the time in: {}, which writes UTC; name another zone, such as \"Europe/Berlin\", for local time",
                            replace(
                                &written,
                                &format!("format_timestamp({}, {format}, \"UTC\")", arguments[ts])
                            )
                        )
                    }
                    _ => format!(
                        "fdi writes this `format_timestamp(timestamp, format, zone)`: {}",
                        super::builtins::usage(Builtin::FormatTimestamp)
                    ),
                }
            }
            Instead::Missing(text) => (*text).to_string(),
        })
    }
}

/// What a reader must know about a function the help proposes: that it may fail.
fn note(builtin: Builtin, arguments: &[String]) -> String {
    let text = match builtin {
        Builtin::ParseInt | Builtin::ParseFloat | Builtin::ParseTimestamp => {
            ", which fails on text that is not one and must be handled (`else reject \"...\"` or `?? default`)"
        }
        Builtin::ToInt => {
            let value = arguments.first().map(String::as_str).unwrap_or("x");
            return format!(", which fails on a fraction and must be handled; `to_int(round({value}))` rounds first");
        }
        Builtin::FromEpochSeconds | Builtin::FromEpochMillis => {
            ", which fails outside the years 0000 to 9999 and must be handled"
        }
        _ => "",
    };
    text.to_string()
}
