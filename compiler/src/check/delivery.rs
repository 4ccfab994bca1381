//! Checking what each flow promises (docs/delivery.md): the word after `delivery` (E0821), that an
//! at-least-once flow's target absorbs what its source delivers again after a crash (E0820), that
//! the source delivers anything again at all and the target confirms what it is given (E0824), that an at-most-once flow is not written
//! twice by a file read again from its start (E0823), and that the flows of one source agree on
//! when its positions are acknowledged (E0822). What a connector replays and what a record written
//! again does to a target is the connector table's (`connectors/replay.rs`).

use fdi_runtime::Delivery;

use super::{Checker, Declared};
use crate::connectors::{self, ConnectorSpec, SourceReplay, TargetRewrite};
use crate::diagnostic::{closest, Code, Diagnostic};
use crate::ir;
use crate::schema::FieldType;
use crate::syntax::ast::{self, OptionValueKind};

/// Why a flow's guarantee cannot be kept, as found by [`Checker::broken_promise`].
enum Broken {
    /// At least once into a target where a record delivered again is a second one (E0820).
    NotAbsorbed,
    /// At least once from a source that delivers nothing again (E0824).
    NoReplay,
    /// At least once into a target that confirms nothing (E0824).
    Unconfirmed,
    /// At most once from a file read again from its start into such a target (E0823).
    RewrittenFromStart,
}

/// What the delivery rules need to know of one flow's ends.
struct Ends<'f> {
    flow: &'f ast::FlowDecl,
    source: &'f ast::SourceDecl,
    target: &'f ast::TargetDecl,
    source_spec: &'static ConnectorSpec,
    target_spec: &'static ConnectorSpec,
    target_ir: &'f ir::Target,
    /// The name of a source that never ends, for messages; `Some` makes the program a service,
    /// whose files are appended to.
    endless_source: Option<&'f str>,
}

impl Ends<'_> {
    fn replays(&self) -> bool {
        self.source_spec
            .replays(|name| option_of(&self.source.connector, self.source_spec, name))
    }

    fn target_may_lose(&self) -> bool {
        self.target_spec
            .may_lose_writes(|name| option_of(&self.target.connector, self.target_spec, name))
    }

    fn absorbs(&self) -> bool {
        self.target_spec.rewrite.absorbs(
            !self.target_ir.key.is_empty(),
            self.endless_source.is_none(),
        )
    }

    fn reads_from_start(&self) -> bool {
        self.source_spec.replay == SourceReplay::FromStart
    }
}

impl Checker<'_> {
    /// The guarantee a flow states; `None` (reported, E0821) for a word fdi does not know.
    pub(super) fn delivery_word(&mut self, flow: &ast::FlowDecl) -> Option<Delivery> {
        let Some(word) = &flow.delivery else {
            return Some(Delivery::AtLeastOnce);
        };
        if let Some(delivery) = Delivery::from_word(&word.name) {
            return Some(delivery);
        }
        let known: Vec<&str> = Delivery::ALL.iter().map(|d| d.as_str()).collect();
        let help = match closest(&word.name, known.iter().copied()) {
            Some(meant) => format!("did you mean `{meant}`?"),
            None => "a flow delivers `at_least_once` (the default: nothing lost, the target absorbs what is delivered again), \
                 `at_least_once_with_duplicates` (nothing lost, some records written twice) or `at_most_once` \
                 (nothing written twice, what is in flight at a crash lost)"
                .to_string(),
        };
        self.report(
            Diagnostic::error(
                Code::UnknownDelivery,
                format!("`{}` is not a delivery guarantee", word.name),
            )
            .label(word.span, format!("known: {}", known.join(", ")))
            .help(help),
        );
        None
    }

    /// Checks the guarantee of every flow that checked against its source and target.
    pub(super) fn deliveries(
        &mut self,
        file: &ast::MappingFile,
        declared: &Declared,
        flows: &[ir::Flow],
    ) {
        let endless_source = declared
            .sources
            .iter()
            .find(|s| s.endless())
            .map(|s| s.name.as_str());
        let checked: Vec<(Ends, Delivery)> = flows
            .iter()
            .filter_map(|flow| {
                ends_of(file, declared, flow, endless_source).map(|ends| (ends, flow.delivery))
            })
            .collect();
        for (i, (ends, delivery)) in checked.iter().enumerate() {
            if let Some(broken) = self.broken_promise(ends, *delivery) {
                // When the source has other flows, a guarantee proposed instead must be
                // acknowledged as theirs are, or the fix would part them (E0822).
                let siblings: Vec<Delivery> = checked
                    .iter()
                    .enumerate()
                    .filter(|(j, (other, _))| {
                        *j != i && other.source.name.name == ends.source.name.name
                    })
                    .map(|(_, (_, d))| *d)
                    .collect();
                let diagnostic = self.broken_diagnostic(ends, *delivery, broken, &siblings);
                self.report(diagnostic);
            }
        }
        self.disagreements(&checked);
    }

    /// Why `delivery` cannot be kept by the flow between `ends`, if it cannot.
    fn broken_promise(&self, ends: &Ends, delivery: Delivery) -> Option<Broken> {
        match delivery {
            Delivery::AtLeastOnce | Delivery::AtLeastOnceWithDuplicates if !ends.replays() => {
                Some(Broken::NoReplay)
            }
            Delivery::AtLeastOnce | Delivery::AtLeastOnceWithDuplicates
                if ends.target_may_lose() =>
            {
                Some(Broken::Unconfirmed)
            }
            Delivery::AtLeastOnce if !ends.absorbs() => Some(Broken::NotAbsorbed),
            Delivery::AtMostOnce if ends.reads_from_start() && !ends.absorbs() => {
                Some(Broken::RewrittenFromStart)
            }
            _ => None,
        }
    }

    fn broken_diagnostic(
        &self,
        ends: &Ends,
        delivery: Delivery,
        broken: Broken,
        siblings: &[Delivery],
    ) -> Diagnostic {
        let flow = &ends.flow.name.name;
        let target = &ends.target.name.name;
        let source = &ends.source.name.name;
        // A guarantee goes after the target's name in the flow's header, or replaces the one
        // written.
        let clause_span = ends
            .flow
            .delivery
            .as_ref()
            .map_or(ends.flow.target.span, |w| w.span);
        let rewrite = |d: Delivery| match &ends.flow.delivery {
            Some(word) => format!("replace `{}` with `{d}`", word.name),
            None => {
                let name = &ends.flow.target.name;
                format!("replace `{name}` with `{name} delivery {d}`")
            }
        };
        let would_keep = |d: Delivery| {
            self.broken_promise(ends, d).is_none()
                && siblings
                    .iter()
                    .all(|s| s.acknowledges_on_receipt() == d.acknowledges_on_receipt())
        };
        let mut fixes: Vec<String> = Vec::new();
        let entity_span = ends.target.entity.span;
        let keyed_fix = self.key_fix(ends);
        match broken {
            Broken::NotAbsorbed | Broken::RewrittenFromStart => {
                let duplicated = self.what_is_written_again(ends);
                let (code, message) = match broken {
                    Broken::NotAbsorbed => (
                        Code::ReplayNotAbsorbed,
                        format!(
                            "flow `{flow}` delivers at least once, but target `{target}` takes a record delivered again as a second one"
                        ),
                    ),
                    _ => (
                        Code::AtMostOnceRewritten,
                        format!(
                            "flow `{flow}` delivers at most once, but every run reads file source `{source}` again from its start into target `{target}`"
                        ),
                    ),
                };
                if let Some(fix) = &keyed_fix {
                    fixes.push(fix.clone());
                }
                for alternative in [Delivery::AtMostOnce, Delivery::AtLeastOnceWithDuplicates] {
                    if alternative != delivery && would_keep(alternative) {
                        fixes.push(format!(
                            "{} ({})",
                            rewrite(alternative),
                            consequence(alternative)
                        ));
                    }
                }
                let mut help = if fixes.is_empty() {
                    String::new()
                } else {
                    fixes.join(", or ")
                };
                if keyed_fix.is_none() && ends.target_spec.rewrite.absorbs_with_key() {
                    help.push_str(&format!(
                        "{}add `key (FIELD, ...)` after `as {}`, naming the fields that tell one record from another",
                        if help.is_empty() { "" } else { "; or " },
                        ends.target.entity.name
                    ));
                }
                let label_target = match broken {
                    Broken::NotAbsorbed => format!(
                        "delivered at least once ({})",
                        default_or_written(ends.flow)
                    ),
                    _ => "delivered at most once".to_string(),
                };
                let primary = match broken {
                    Broken::NotAbsorbed => ends.flow.target.span,
                    _ => clause_span,
                };
                Diagnostic::error(code, message)
                    .label(primary, label_target)
                    .label(entity_span, duplicated)
                    .help(help)
            }
            Broken::Unconfirmed => {
                let mut fixes = Vec::new();
                if would_keep(Delivery::AtMostOnce) {
                    fixes.push(format!(
                        "{} ({})",
                        rewrite(Delivery::AtMostOnce),
                        consequence(Delivery::AtMostOnce)
                    ));
                }
                let qos = ends.target.connector.option("qos");
                let mut secondary = ends.target.connector.kind.span;
                if let Some(qos) = qos {
                    secondary = qos.value.span;
                    // With `qos: 1` the target publishes again what was not confirmed: kept only
                    // by a flow that accepts duplicates.
                    if delivery == Delivery::AtLeastOnceWithDuplicates {
                        fixes.push(
                            self.qos_1_fix(
                                qos,
                                "each record published until the broker confirms it",
                            ),
                        );
                    }
                }
                Diagnostic::error(
                    Code::EndMayLose,
                    format!(
                        "flow `{flow}` delivers at least once, but target `{target}` confirms nothing it publishes"
                    ),
                )
                .label(
                    ends.flow.target.span,
                    format!("delivered at least once ({})", default_or_written(ends.flow)),
                )
                .label(
                    secondary,
                    "with `qos: 0` the broker confirms nothing: a record published as the connection drops is lost",
                )
                .help(fixes.join(", or "))
            }
            Broken::NoReplay => {
                let why = self.why_no_replay(ends);
                let mut fixes = Vec::new();
                if would_keep(Delivery::AtMostOnce) {
                    fixes.push(format!(
                        "{} ({})",
                        rewrite(Delivery::AtMostOnce),
                        consequence(Delivery::AtMostOnce)
                    ));
                }
                let qos = ends.source.connector.option("qos");
                let mut secondary = (ends.source.connector.kind.span, why.clone());
                if let Some(qos) = qos {
                    fixes.push(
                        self.qos_1_fix(qos, "the broker delivers again what was not acknowledged"),
                    );
                    secondary = (qos.value.span, why.clone());
                }
                Diagnostic::error(
                    Code::EndMayLose,
                    format!(
                        "flow `{flow}` delivers at least once, but source `{source}` delivers nothing again after a crash"
                    ),
                )
                .label(
                    ends.flow.target.span,
                    format!("delivered at least once ({})", default_or_written(ends.flow)),
                )
                .label(secondary.0, secondary.1)
                .help(fixes.join(", or "))
            }
        }
    }

    /// The help's rewrite of a written `qos` option into `qos: 1`, and why it keeps the promise.
    fn qos_1_fix(&self, qos: &ast::ConnectorOption, why: &str) -> String {
        let text = &self.sources.get(qos.name.span.file).text;
        let written = &text[qos.name.span.start..qos.value.span.end];
        format!("replace `{written}` with `qos: 1` ({why})")
    }

    /// The secondary label of E0820 and E0823: what is written twice, and when.
    fn what_is_written_again(&self, ends: &Ends) -> String {
        let target = &ends.target.name.name;
        let source = &ends.source.name.name;
        let again = if ends.reads_from_start() {
            format!(
                "every run after a crash or a restart reads file `{source}` again from its start (no position is kept), so each of its records"
            )
        } else {
            format!(
                "after a crash, what `{source}` read since its last checkpoint (up to `--checkpoint-every` records or `--checkpoint-interval`) is delivered again, and each such record"
            )
        };
        let becomes = match ends.target_spec.rewrite {
            TargetRewrite::UpsertedOnKey | TargetRewrite::IdempotencyKey => {
                format!("is inserted into `{target}` a second time: it has no key to upsert on")
            }
            TargetRewrite::AppendedTruncatedByBatch => format!(
                "is appended to `{target}` a second time: a service (source `{}` never ends) appends to its files",
                ends.endless_source.unwrap_or("?")
            ),
            TargetRewrite::DocumentRewritten => format!(
                "is written to `{target}` a second time: a service (source `{}` never ends) writes a new document per checkpoint",
                ends.endless_source.unwrap_or("?")
            ),
            TargetRewrite::PublishedAgain { .. } => {
                format!("is published to `{target}` again, and its subscribers receive it twice")
            }
            TargetRewrite::Overwritten | TargetRewrite::NotATarget => {
                format!("is written to `{target}` again")
            }
        };
        format!("{again} {becomes}")
    }

    /// The secondary label of E0824: why the source delivers nothing again.
    fn why_no_replay(&self, ends: &Ends) -> String {
        match ends.source_spec.replay {
            SourceReplay::Unacknowledged {
                unless: Some((option, value)),
            } => format!(
                "with `{option}: {value}` the broker keeps nothing for the program: a message taken and not yet written at a crash is lost"
            ),
            _ => format!(
                "each poll reads the device's current values: a record read and not yet written when `{}` stops is lost",
                ends.source.name.name
            ),
        }
    }

    /// `replace `Entity` with `Entity key (a, b)``: the target keyed by the entity's required
    /// fields of identifier types (what the schema says identifies something), when the target
    /// absorbs a replay with a key and the entity has such fields.
    fn key_fix(&self, ends: &Ends) -> Option<String> {
        if !ends.target_spec.rewrite.absorbs_with_key() || !ends.target_ir.key.is_empty() {
            return None;
        }
        let entity = self.schema.entities.get(&ends.target_ir.entity)?;
        let candidates: Vec<&str> = entity
            .fields
            .iter()
            .filter(|f| !f.optional && matches!(f.ty, FieldType::Identifier(_)))
            .map(|f| f.name.as_str())
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let name = &ends.target.entity.name;
        Some(format!(
            "replace `{name}` with `{name} key ({})` (the fields of identifier types of `{name}`: a record written again replaces its row; add a field that tells apart two records of the same {}, such as a time, if there is one)",
            candidates.join(", "),
            candidates.join(" and ")
        ))
    }

    /// E0822: a source's flows must agree on whether its positions are acknowledged on receipt
    /// (at most once) or once written (at least once).
    fn disagreements(&mut self, checked: &[(Ends, Delivery)]) {
        let mut reported: Vec<&str> = Vec::new();
        for (i, (first, first_delivery)) in checked.iter().enumerate() {
            let source = first.source.name.name.as_str();
            if reported.contains(&source) {
                continue;
            }
            let other = checked[i + 1..].iter().find(|(ends, d)| {
                ends.source.name.name == source
                    && d.acknowledges_on_receipt() != first_delivery.acknowledges_on_receipt()
            });
            let Some((ends, delivery)) = other else {
                continue;
            };
            reported.push(source);
            let (span, written) = match &ends.flow.delivery {
                Some(word) => (word.span, true),
                None => (ends.flow.target.span, false),
            };
            let mut help = format!(
                "the flows of one source share its acknowledgements: give them guarantees acknowledged alike, or declare a second source for flow `{}`",
                ends.flow.name.name
            );
            // The guarantees acknowledged as the first flow's are, the one written there first.
            let mut agreeing = vec![*first_delivery];
            agreeing.extend(Delivery::ALL.into_iter().filter(|d| {
                *d != *first_delivery
                    && d.acknowledges_on_receipt() == first_delivery.acknowledges_on_receipt()
            }));
            if let Some(agreed) = agreeing
                .into_iter()
                .find(|d| self.broken_promise(ends, *d).is_none())
            {
                let fix = if written {
                    format!("replace `{delivery}` with `{agreed}`")
                } else {
                    format!(
                        "replace `{0}` with `{0} delivery {agreed}`",
                        ends.flow.target.name
                    )
                };
                help = format!("{fix} ({}); or {help}", consequence(agreed));
            }
            let first_span = first
                .flow
                .delivery
                .as_ref()
                .map_or(first.flow.target.span, |w| w.span);
            self.report(
                Diagnostic::error(
                    Code::DeliveryDisagrees,
                    format!(
                        "flows `{}` and `{}` of source `{source}` disagree on when its positions are acknowledged",
                        first.flow.name.name, ends.flow.name.name
                    ),
                )
                .label(span, format!("{delivery}: {}", acknowledged_when(*delivery)))
                .label(
                    first_span,
                    format!("{first_delivery}: {}", acknowledged_when(*first_delivery)),
                )
                .help(help),
            );
        }
    }
}

/// The value of `connector`'s option `name` as written, else its default, as text.
fn option_of(connector: &ast::Connector, spec: &ConnectorSpec, name: &str) -> Option<String> {
    connector
        .option(name)
        .map(|o| match &o.value.kind {
            OptionValueKind::Text(t) => t.clone(),
            OptionValueKind::Number(n) | OptionValueKind::Duration(n) => n.clone(),
            OptionValueKind::Bool(b) => b.to_string(),
            OptionValueKind::List(_) => String::new(),
        })
        .or_else(|| {
            spec.options
                .iter()
                .find(|o| o.name == name)
                .and_then(|o| o.default.map(str::to_string))
        })
}

/// The declarations at the two ends of a checked flow, and what the program is.
fn ends_of<'f>(
    file: &'f ast::MappingFile,
    declared: &'f Declared,
    flow: &ir::Flow,
    endless_source: Option<&'f str>,
) -> Option<Ends<'f>> {
    let ast_flow = file.items.iter().find_map(|i| match i {
        ast::Item::Flow(f) if f.name.name == flow.name => Some(f),
        _ => None,
    })?;
    let source = file.items.iter().find_map(|i| match i {
        ast::Item::Source(s) if s.name.name == flow.source => Some(s),
        _ => None,
    })?;
    let target = file.items.iter().find_map(|i| match i {
        ast::Item::Target(t) if t.name.name == flow.target => Some(t),
        _ => None,
    })?;
    let source_ir = declared.source(&flow.source)?;
    let target_ir = declared.target(&flow.target)?;
    Some(Ends {
        flow: ast_flow,
        source,
        target,
        source_spec: connectors::spec(source_ir.kind.connector())?,
        target_spec: connectors::spec(target_ir.kind.connector())?,
        target_ir,
        endless_source,
    })
}

/// What choosing `delivery` costs, for the help.
fn consequence(delivery: Delivery) -> &'static str {
    match delivery {
        Delivery::AtLeastOnce => "nothing lost, nothing written twice",
        Delivery::AtMostOnce => "nothing written twice; what is in flight at a crash is lost",
        Delivery::AtLeastOnceWithDuplicates => {
            "nothing lost; after a crash some records are written twice"
        }
    }
}

fn acknowledged_when(delivery: Delivery) -> &'static str {
    if delivery.acknowledges_on_receipt() {
        "positions acknowledged when read, before writing"
    } else {
        "positions acknowledged once written"
    }
}

fn default_or_written(flow: &ast::FlowDecl) -> &'static str {
    if flow.delivery.is_some() {
        "as written"
    } else {
        "the default"
    }
}
