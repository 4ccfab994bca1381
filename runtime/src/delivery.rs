//! The delivery guarantee a flow states (`delivery at_most_once` in the mapping; docs/delivery.md):
//! what the run promises about each record the flow's source reads, and when it acknowledges the
//! source's positions.

use serde::Serialize;

/// What a flow promises for each record its source reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Nothing is lost: a source's positions are acknowledged only once what the records became
    /// is durable (written, filtered or dead-lettered); after a crash the source delivers the
    /// rest again, and the target absorbs what it receives twice (an upsert on its key, an
    /// idempotency key, a node or register written again). The default.
    AtLeastOnce,
    /// Nothing is lost, acknowledged as [`Delivery::AtLeastOnce`]; a record delivered again
    /// after a crash reaches the target twice (an MQTT target publishes it again), and its
    /// consumers must tell the copies apart.
    AtLeastOnceWithDuplicates,
    /// Nothing is written twice: a source's positions are acknowledged when the run takes the
    /// records, before they are written, so what was in flight at a crash is lost.
    AtMostOnce,
}

impl Delivery {
    /// Every guarantee, as the mapping writes them.
    pub const ALL: [Delivery; 3] = [
        Delivery::AtLeastOnce,
        Delivery::AtLeastOnceWithDuplicates,
        Delivery::AtMostOnce,
    ];

    /// The word a mapping writes after `delivery`.
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::AtLeastOnce => "at_least_once",
            Delivery::AtLeastOnceWithDuplicates => "at_least_once_with_duplicates",
            Delivery::AtMostOnce => "at_most_once",
        }
    }

    /// The guarantee a mapping's word names.
    pub fn from_word(word: &str) -> Option<Delivery> {
        Delivery::ALL.into_iter().find(|d| d.as_str() == word)
    }

    /// Whether the source's positions are acknowledged when the run takes its records, before
    /// they are written (else once they are durable).
    pub fn acknowledges_on_receipt(self) -> bool {
        self == Delivery::AtMostOnce
    }
}

impl std::fmt::Display for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One flow's guarantee, as the program's manifest lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowDelivery {
    pub flow: &'static str,
    pub source: &'static str,
    pub target: &'static str,
    pub delivery: Delivery,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for delivery in Delivery::ALL {
            assert_eq!(Delivery::from_word(delivery.as_str()), Some(delivery));
            assert_eq!(delivery.to_string(), delivery.as_str());
        }
        assert_eq!(Delivery::from_word("exactly_once"), None);
        assert!(Delivery::AtMostOnce.acknowledges_on_receipt());
        assert!(!Delivery::AtLeastOnceWithDuplicates.acknowledges_on_receipt());
    }
}
