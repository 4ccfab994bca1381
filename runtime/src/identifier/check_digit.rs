//! Check-digit schemes of identifier types: the last character of the identifier is computed from the others,
//! so a mistyped or misread digit (and most swaps of two neighbours) makes the identifier invalid.

use std::fmt;

/// A check-digit scheme an identifier type can require.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CheckDigit {
    /// GS1 mod 10, as used by GTIN, SSCC and GLN: digits only; from the right, the digits before the check digit
    /// are weighted 3, 1, 3, 1...; the check digit brings the weighted sum to a multiple of 10.
    Gs1Mod10,
    /// ISO/IEC 7064 MOD 11-2, as used by ISNI and ORCID: digits, the last of which may be `X` (standing for 10).
    Iso7064Mod11_2,
}

impl CheckDigit {
    /// Every scheme, for messages that list them.
    pub const ALL: [CheckDigit; 2] = [CheckDigit::Gs1Mod10, CheckDigit::Iso7064Mod11_2];

    /// The name schemas use: `"gs1_mod10"`, `"iso7064_mod11_2"`.
    pub fn name(self) -> &'static str {
        match self {
            CheckDigit::Gs1Mod10 => "gs1_mod10",
            CheckDigit::Iso7064Mod11_2 => "iso7064_mod11_2",
        }
    }

    /// The scheme called `name` in a schema (exactly as [`CheckDigit::name`] spells it).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scheme| scheme.name() == name)
    }

    /// The name people know the scheme by, for messages: "GS1 mod 10", "ISO 7064 MOD 11-2".
    pub fn title(self) -> &'static str {
        match self {
            CheckDigit::Gs1Mod10 => "GS1 mod 10",
            CheckDigit::Iso7064Mod11_2 => "ISO 7064 MOD 11-2",
        }
    }

    /// Checks `text`, whose last character is its check digit. The error completes the sentence
    /// "... is not a valid Gtin: ", e.g. "its check digit 9 does not match GS1 mod 10 (expected 8)".
    pub fn verify(self, text: &str) -> Result<(), String> {
        match self.problem(text) {
            None => Ok(()),
            Some(problem) => Err(problem.to_string()),
        }
    }

    /// What is wrong with `text`'s check digit, if anything: the check without its message,
    /// which [`CheckDigitProblem`]'s `Display` writes only when the failure is reported.
    pub(crate) fn problem(self, text: &str) -> Option<CheckDigitProblem> {
        // The usual identifier: ASCII digits whose check digit is right, confirmed in one pass
        // over its bytes. Anything else is examined below, which finds what is wrong.
        if self.holds_for_ascii_digits(text) {
            return None;
        }
        self.problem_in_full(text)
    }

    /// [`CheckDigit::problem`] by the general check alone, which judges the fast one.
    fn problem_in_full(self, text: &str) -> Option<CheckDigitProblem> {
        let mut chars = text.chars();
        let given = chars.next_back();
        let payload = chars.as_str();
        let Some(given) = given.filter(|_| !payload.is_empty()) else {
            return Some(CheckDigitProblem::NoPayload(self));
        };
        if let Some(bad) = payload.chars().find(|c| !c.is_ascii_digit()) {
            return Some(CheckDigitProblem::NotADigit(self, bad));
        }
        // Digits only, so each is its ASCII value minus '0'.
        let digits = payload.bytes().map(|b| u32::from(b - b'0'));
        let expected = match self {
            CheckDigit::Gs1Mod10 => gs1_mod10(digits),
            CheckDigit::Iso7064Mod11_2 => iso7064_mod11_2(digits),
        };
        if given == expected {
            return None;
        }
        let allowed = match self {
            CheckDigit::Gs1Mod10 => given.is_ascii_digit(),
            CheckDigit::Iso7064Mod11_2 => given.is_ascii_digit() || given == 'X',
        };
        Some(if allowed {
            CheckDigitProblem::Mismatch {
                scheme: self,
                given,
                expected,
            }
        } else {
            CheckDigitProblem::NotACheckCharacter(self, given)
        })
    }
}

impl CheckDigit {
    /// Whether `text` is a payload of ASCII digits followed by its right check character.
    /// `false` says only that the general check must look.
    fn holds_for_ascii_digits(self, text: &str) -> bool {
        let Some((&given, payload)) = text.as_bytes().split_last() else {
            return false;
        };
        if payload.is_empty() {
            return false;
        }
        match self {
            CheckDigit::Gs1Mod10 => {
                // From the right, weights 3, 1, 3, ...; the digits checked on the way.
                let (mut sum, mut weight) = (0, 3);
                for &byte in payload.iter().rev() {
                    if !byte.is_ascii_digit() {
                        return false;
                    }
                    sum += u32::from(byte - b'0') * weight;
                    weight = 4 - weight;
                }
                u32::from(given) == u32::from(b'0') + (10 - sum % 10) % 10
            }
            CheckDigit::Iso7064Mod11_2 => {
                if !payload.iter().all(u8::is_ascii_digit) {
                    return false;
                }
                let digits = payload.iter().map(|b| u32::from(b - b'0'));
                u32::from(given) == u32::from(iso7064_mod11_2(digits))
            }
        }
    }
}

/// What is wrong with an identifier's check digit; its `Display` completes the sentence "...
/// is not a valid Gtin: ".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CheckDigitProblem {
    /// Nothing before the check digit.
    NoPayload(CheckDigit),
    /// A character before the check digit that is not a digit.
    NotADigit(CheckDigit, char),
    /// A last character the scheme never computes.
    NotACheckCharacter(CheckDigit, char),
    Mismatch {
        scheme: CheckDigit,
        given: char,
        expected: char,
    },
}

impl fmt::Display for CheckDigitProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CheckDigitProblem::NoPayload(scheme) => write!(
                f,
                "{} needs at least one digit before the check digit",
                scheme.title()
            ),
            CheckDigitProblem::NotADigit(scheme, bad) => write!(
                f,
                "{} needs digits only before the check digit, found {bad:?}",
                scheme.title()
            ),
            CheckDigitProblem::NotACheckCharacter(scheme, given) => {
                let what = match scheme {
                    CheckDigit::Gs1Mod10 => "a digit",
                    CheckDigit::Iso7064Mod11_2 => "a digit or X",
                };
                write!(
                    f,
                    "its check digit {given:?} is not {what} as {} requires",
                    scheme.title()
                )
            }
            CheckDigitProblem::Mismatch {
                scheme,
                given,
                expected,
            } => write!(
                f,
                "its check digit {given} does not match {} (expected {expected})",
                scheme.title()
            ),
        }
    }
}

impl fmt::Display for CheckDigit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

/// The GS1 check digit of `digits` (the identifier without its check digit).
fn gs1_mod10(digits: impl DoubleEndedIterator<Item = u32>) -> char {
    // Weights start at 3 on the digit next to the check digit, so count from the right.
    let sum: u32 = digits
        .rev()
        .zip([3, 1].into_iter().cycle())
        .map(|(digit, weight)| digit * weight)
        .sum();
    digit_char((10 - sum % 10) % 10)
}

/// The ISO 7064 MOD 11-2 check character of `digits`: `0`-`9` or `X` for 10.
fn iso7064_mod11_2(digits: impl Iterator<Item = u32>) -> char {
    // The standard's recursive form: keeps the running value below 22, so it cannot overflow on long input.
    let total = digits.fold(0, |total, digit| ((total + digit) * 2) % 11);
    match (12 - total) % 11 {
        10 => 'X',
        value => digit_char(value),
    }
}

fn digit_char(value: u32) -> char {
    char::from_digit(value, 10).unwrap_or('?')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-pass check of ASCII digits says "valid" exactly where the general check does, on
    /// every seeded text of digits with now and then a letter, an `X`, a space or a non-ASCII
    /// character, of every length up to 20 (a third of them given their right check digit).
    #[test]
    fn the_ascii_digits_check_agrees_with_the_general_one() {
        let mut state: u64 = 0x0c4e_c4d1_6175_0017;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut accepted = 0;
        for scheme in CheckDigit::ALL {
            for _ in 0..100_000 {
                let len = (next() % 21) as usize;
                let mut text: String = (0..len)
                    .map(|_| match next() % 60 {
                        0 => 'X',
                        1 => 'a',
                        2 => ' ',
                        3 => 'é',
                        4 => '٣',
                        n => char::from(b'0' + (n % 10) as u8),
                    })
                    .collect();
                if next() % 3 == 0 && text.len() > 1 {
                    text.pop();
                    let payload = text
                        .bytes()
                        .filter(u8::is_ascii_digit)
                        .map(|b| u32::from(b - b'0'));
                    text.push(match scheme {
                        CheckDigit::Gs1Mod10 => gs1_mod10(payload),
                        CheckDigit::Iso7064Mod11_2 => iso7064_mod11_2(payload),
                    });
                }
                let problem = scheme.problem(&text);
                assert_eq!(
                    problem,
                    scheme.problem_in_full(&text),
                    "{scheme:?} {text:?}"
                );
                accepted += usize::from(problem.is_none());
            }
        }
        assert!(accepted > 25_000, "only {accepted} valid texts met");
    }

    #[test]
    fn gs1_accepts_published_numbers() {
        // GTIN-13 printed on a Faber-Castell product, the example of the GS1 check-digit article; a GS1 US
        // example GLN; an SSCC from the GS1 General Specifications; a GTIN-8 and a GTIN-12 (UPC-A).
        for valid in [
            "4006381333931",
            "0614141000418",
            "106141412345678908",
            "96385074",
            "036000291452",
        ] {
            assert_eq!(CheckDigit::Gs1Mod10.verify(valid), Ok(()), "{valid}");
        }
    }

    #[test]
    fn gs1_rejects_wrong_digits_and_says_which_was_expected() {
        assert_eq!(
            CheckDigit::Gs1Mod10.verify("4006381333932"),
            Err("its check digit 2 does not match GS1 mod 10 (expected 1)".into())
        );
        // A swap of two neighbouring digits is caught too.
        assert!(CheckDigit::Gs1Mod10.verify("4006383133931").is_err());
        assert_eq!(
            CheckDigit::Gs1Mod10.verify("40063813339X"),
            Err("its check digit 'X' is not a digit as GS1 mod 10 requires".into())
        );
        assert_eq!(
            CheckDigit::Gs1Mod10.verify("4006-381333931"),
            Err("GS1 mod 10 needs digits only before the check digit, found '-'".into())
        );
        for too_short in ["", "7"] {
            assert!(CheckDigit::Gs1Mod10
                .verify(too_short)
                .unwrap_err()
                .contains("at least one digit before the check digit"));
        }
    }

    #[test]
    fn iso7064_accepts_orcid_and_isni() {
        // ORCID's own documentation examples (0000-0002-1825-0097 and 0000-0001-5109-3700, without hyphens),
        // an ORCID ending in X (0000-0002-1694-233X), and the ISNI of the ISNI agency's examples.
        for valid in [
            "0000000218250097",
            "0000000151093700",
            "000000021694233X",
            "000000012146438X",
        ] {
            assert_eq!(CheckDigit::Iso7064Mod11_2.verify(valid), Ok(()), "{valid}");
        }
    }

    #[test]
    fn iso7064_rejects_wrong_characters() {
        assert_eq!(
            CheckDigit::Iso7064Mod11_2.verify("0000000218250098"),
            Err("its check digit 8 does not match ISO 7064 MOD 11-2 (expected 7)".into())
        );
        assert_eq!(
            CheckDigit::Iso7064Mod11_2.verify("0000000121464381"),
            Err("its check digit 1 does not match ISO 7064 MOD 11-2 (expected X)".into())
        );
        // Lower-case x is not the check character X.
        assert!(CheckDigit::Iso7064Mod11_2
            .verify("000000012146438x")
            .unwrap_err()
            .contains("is not a digit or X"));
        assert!(CheckDigit::Iso7064Mod11_2
            .verify("00000001214643X8")
            .is_err());
    }

    #[test]
    fn names_round_trip() {
        for scheme in CheckDigit::ALL {
            assert_eq!(CheckDigit::from_name(scheme.name()), Some(scheme));
        }
        assert_eq!(
            CheckDigit::from_name("gs1_mod10"),
            Some(CheckDigit::Gs1Mod10)
        );
        assert_eq!(
            CheckDigit::from_name("iso7064_mod11_2"),
            Some(CheckDigit::Iso7064Mod11_2)
        );
        assert_eq!(CheckDigit::from_name("GS1_MOD10"), None);
        assert_eq!(CheckDigit::Gs1Mod10.to_string(), "GS1 mod 10");
    }
}
