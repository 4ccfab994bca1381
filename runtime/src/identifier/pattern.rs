//! An identifier type's pattern, compiled for checking whole values fast.
//!
//! Identifier patterns are short and anchored (`[A-Z]+-[0-9]{3}`), and every record checks one
//! or more of them, so the check is on the hot path. A fully built DFA answers in one table step
//! per byte; the `regex` crate's general search costs about 250 instructions per call even for
//! an 8-byte code (callgrind, machine_state bench). Patterns a DFA cannot express (Unicode word
//! boundaries) or that would make it large fall back to `regex`, so every pattern the compiler
//! accepts still works, with the same meaning.

use regex::Regex;
use regex_automata::dfa::{dense, Automaton, StartKind};
use regex_automata::util::primitives::StateID;
use regex_automata::{Anchored, Input};

/// Above this, a pattern is matched by `regex` instead of a DFA: a DFA is built once per
/// identifier type, but its memory stays for the program's life.
const DFA_SIZE_LIMIT: usize = 256 * 1024;

/// A pattern that must match a whole value (`^(?:pattern)$`).
#[derive(Debug)]
pub struct IdPattern {
    matcher: Matcher,
}

#[derive(Debug)]
enum Matcher {
    /// The DFA, and the regex for what the DFA gives up on (it never should for a DFA built
    /// without heuristics, but a wrong answer would be worse than a slow one).
    Dfa(Box<AnchoredDfa>, Regex),
    Regex(Regex),
}

impl IdPattern {
    /// Compiles `pattern` (Rust `regex` syntax), anchored at both ends. The error says why the
    /// pattern is invalid.
    pub fn new(pattern: &str) -> Result<Self, String> {
        // `regex` is the judge of what is valid, and the pattern must be valid on its own: text
        // such as `A)|(B` would otherwise close the anchoring group and match part of a value.
        let invalid =
            |e: regex::Error| format!("the pattern {pattern:?} is not a valid regex: {e}");
        Regex::new(pattern).map_err(invalid)?;
        let anchored = format!("^(?:{pattern})$");
        let regex = Regex::new(&anchored).map_err(invalid)?;
        let config = dense::Config::new()
            .start_kind(StartKind::Anchored)
            .dfa_size_limit(Some(DFA_SIZE_LIMIT))
            .determinize_size_limit(Some(DFA_SIZE_LIMIT));
        // No `^`: the search is anchored at the start, and without a look-behind assertion the
        // DFA has one start state for every search, found once here instead of per value.
        let matcher = match dense::Builder::new()
            .configure(config)
            .build(&format!("(?:{pattern})$"))
        {
            Ok(dfa) => {
                let start = dfa.universal_start_state(Anchored::Yes);
                Matcher::Dfa(Box::new(AnchoredDfa { dfa, start }), regex)
            }
            Err(_) => Matcher::Regex(regex),
        };
        Ok(IdPattern { matcher })
    }

    /// Whether the whole of `text` matches.
    #[inline]
    pub fn is_match(&self, text: &str) -> bool {
        match &self.matcher {
            Matcher::Regex(regex) => regex.is_match(text),
            Matcher::Dfa(dfa, regex) => dfa.is_match(text).unwrap_or_else(|| regex.is_match(text)),
        }
    }
}

impl IdPattern {
    /// Whether some value that starts with `prefix` may match: `false` only when the DFA says
    /// no continuation can (it reached its dead state). For the compiler's search of values an
    /// identifier type takes (see `spec::round_trip_problem`), not for checking values.
    pub(crate) fn may_match_after(&self, prefix: &str) -> bool {
        match &self.matcher {
            Matcher::Dfa(dfa, _) => dfa.may_match_after(prefix),
            Matcher::Regex(_) => true,
        }
    }
}

/// A DFA searched from the start of the value only.
#[derive(Debug)]
struct AnchoredDfa {
    dfa: dense::DFA<Vec<u32>>,
    /// The start state, when it does not depend on what precedes the value (the pattern does
    /// not begin with a look-behind assertion such as `\b`).
    start: Option<StateID>,
}

impl AnchoredDfa {
    /// Walks the DFA over `text`, one transition per byte; `None` if the DFA gives up.
    #[inline]
    fn is_match(&self, text: &str) -> Option<bool> {
        let dfa = &self.dfa;
        let mut state = match self.start {
            Some(start) => start,
            None => dfa
                .start_state_forward(&Input::new(text).anchored(Anchored::Yes))
                .ok()?,
        };
        for &byte in text.as_bytes() {
            state = dfa.next_state(state, byte);
            if dfa.is_special_state(state) {
                if dfa.is_dead_state(state) {
                    return Some(false);
                }
                if dfa.is_quit_state(state) {
                    return None;
                }
            }
        }
        Some(dfa.is_match_state(dfa.next_eoi_state(state)))
    }

    fn may_match_after(&self, prefix: &str) -> bool {
        let dfa = &self.dfa;
        let start = match self.start {
            Some(start) => Ok(start),
            None => dfa.start_state_forward(&Input::new(prefix).anchored(Anchored::Yes)),
        };
        let Ok(mut state) = start else {
            return true;
        };
        for &byte in prefix.as_bytes() {
            state = dfa.next_state(state, byte);
            if dfa.is_dead_state(state) {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The DFA and `regex` agree on whole-value matches, including the cases the anchoring is
    /// for (a match inside the text, a prefix) and patterns the DFA cannot take.
    #[test]
    fn agrees_with_regex_on_whole_values() {
        let patterns = [
            "[A-Z]+-[0-9]{3}",
            "EQ-[A-Z]+-[0-9]{4}",
            "ACTIVE|READY|FEED_HOLD",
            "[0-9]+",
            "\\w+",
            "\\bLOT\\b-[0-9]+",
            "(?i)wo-[0-9]{6}",
            "",
            "[^,]*",
            "^MILL-[0-9]+",
            "(?m)^A$",
        ];
        let texts = [
            "",
            "A",
            "MILL-001",
            "MILL-0001",
            "xMILL-001",
            "MILL-001x",
            "EQ-MILL-0001",
            "ACTIVE",
            "ACTIVEREADY",
            "READY",
            "123",
            "12a",
            "Größe",
            "LOT-12",
            "wo-123456",
            "WO-123456",
            "a,b",
            "Ω-001",
            "MILL-001\n",
        ];
        for pattern in patterns {
            let compiled = IdPattern::new(pattern).unwrap();
            let reference = Regex::new(&format!("^(?:{pattern})$")).unwrap();
            for text in texts {
                assert_eq!(
                    compiled.is_match(text),
                    reference.is_match(text),
                    "{pattern:?} on {text:?}"
                );
            }
        }
    }

    #[test]
    fn patterns_are_built_as_dfas_unless_they_cannot_be() {
        let dfa = |p: &str| matches!(IdPattern::new(p).unwrap().matcher, Matcher::Dfa(..));
        let start_found_once = |p: &str| match IdPattern::new(p).unwrap().matcher {
            Matcher::Dfa(dfa, _) => dfa.start.is_some(),
            Matcher::Regex(_) => false,
        };
        assert!(dfa("[A-Z]+-[0-9]{3}"));
        assert!(start_found_once("[A-Z]+-[0-9]{3}"));
        // A look-behind assertion at the start: the start state is found per value.
        assert!(dfa("^MILL-[0-9]+") && !start_found_once("^MILL-[0-9]+"));
        // Unicode word boundaries are beyond a DFA; a huge counted repetition is too large.
        assert!(!dfa("\\bLOT\\b-[0-9]+"));
        assert!(!dfa("\\w{200}"));
    }

    #[test]
    fn an_invalid_pattern_says_why() {
        let err = IdPattern::new("[A-Z").unwrap_err();
        assert!(err.contains("\"[A-Z\" is not a valid regex"), "{err}");
    }

    /// A pattern that would close the anchoring group (`^(?:A)|(B)$`) and so match only part of
    /// a value is refused, not anchored on one side only.
    #[test]
    fn a_pattern_cannot_escape_its_anchors() {
        let err = IdPattern::new("A)|(B").unwrap_err();
        assert!(err.contains("is not a valid regex"), "{err}");
    }
}
