//! Attribute matching for QIDO-RS queries, after PS3.4 C.2.2.2 ("Attribute Matching") as profiled by PS3.18 8.3.4:
//! universal matching (empty key), single value matching, wildcard matching (`*`, `?`), UID list matching (values
//! separated by `,` or `\`), range matching for dates and times (`A-B`, `-B`, `A-`), case-insensitive Person Name
//! matching, and "fuzzy" Person Name matching (`fuzzymatching=true`: every word of the key is a case- and
//! accent-insensitive prefix of some name component).
//!
//! It works on strings only: it must not know about files, indexes or HTTP. A key is parsed once against the VR of
//! its attribute ([`MatchKey::parse`]) and then tested against the values of many records ([`MatchKey::matches`]).

use dicom_core::VR;

/// One parsed matching key (the value given for an attribute in a query), ready to be tested against records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchKey {
    /// Empty key: every record matches (PS3.4 C.2.2.2.3); the attribute is still returned.
    Universal,
    /// Single value matching (C.2.2.2.1); for Person Names and fuzzy matching the comparison is case-insensitive.
    Single(String),
    /// Any of several single values (UID list matching C.2.2.2.2, or a comma-separated list of Code Strings).
    List(Vec<String>),
    /// Wildcard matching (C.2.2.2.4): `*` matches any run of characters, `?` exactly one.
    Wildcard(String),
    /// Range matching of DA, TM and DT values (C.2.2.2.5); `None` is an open end.
    Range {
        /// Lower bound, inclusive, at the precision it was written with.
        from: Option<String>,
        /// Upper bound, inclusive, at the precision it was written with.
        to: Option<String>,
    },
    /// Fuzzy Person Name matching: the words of the key, folded (lower case, accents removed).
    FuzzyName(Vec<String>),
}

impl MatchKey {
    /// Parses the key `value` given for an attribute whose Value Representation is `vr`. `fuzzy` is the query's
    /// `fuzzymatching` parameter; it only changes how Person Name (PN) keys match.
    pub fn parse(vr: VR, value: &str, fuzzy: bool) -> MatchKey {
        let value = value.trim_matches(|c: char| c == ' ' || c == '\0');
        if value.is_empty() || value == "*" {
            return MatchKey::Universal;
        }
        match vr {
            VR::UI => {
                let uids: Vec<String> = value
                    .split([',', '\\'])
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
                if uids.len() == 1 {
                    MatchKey::Single(uids.into_iter().next().unwrap_or_default())
                } else {
                    MatchKey::List(uids)
                }
            }
            VR::DA | VR::TM | VR::DT => {
                let normal = |s: &str| normalize_temporal(vr, s);
                match value.split_once('-') {
                    Some((from, to)) => MatchKey::Range {
                        from: Some(normal(from)).filter(|s| !s.is_empty()),
                        to: Some(normal(to)).filter(|s| !s.is_empty()),
                    },
                    None => MatchKey::Single(normal(value)),
                }
            }
            VR::PN if fuzzy => {
                let words: Vec<String> = value
                    .split(|c: char| c == '^' || c == '=' || c == ',' || c.is_whitespace())
                    .map(|w| fold(w.trim_matches('*')))
                    .filter(|w| !w.is_empty())
                    .collect();
                if words.is_empty() {
                    MatchKey::Universal
                } else {
                    MatchKey::FuzzyName(words)
                }
            }
            _ if value.contains(['*', '?']) => MatchKey::Wildcard(value.to_string()),
            VR::CS if value.contains([',', '\\']) => MatchKey::List(
                value
                    .split([',', '\\'])
                    .map(|s| s.trim().to_string())
                    .collect(),
            ),
            _ => MatchKey::Single(value.to_string()),
        }
    }

    /// Whether a record whose attribute (of Value Representation `vr`) holds `values` matches this key. A
    /// multi-valued attribute matches when any of its values does; an absent or empty attribute only matches the
    /// universal key.
    pub fn matches(&self, vr: VR, values: &[String]) -> bool {
        if let MatchKey::Universal = self {
            return true;
        }
        let case_insensitive = vr == VR::PN;
        values
            .iter()
            .map(|v| v.trim_matches(|c: char| c == ' ' || c == '\0'))
            .filter(|v| !v.is_empty())
            .any(|value| match self {
                MatchKey::Universal => true,
                MatchKey::Single(key) => match vr {
                    VR::DA | VR::TM | VR::DT => {
                        let value = normalize_temporal(vr, value);
                        truncated(&value, key.len()) == key.as_str()
                    }
                    VR::PN => trim_name(value).to_lowercase() == trim_name(key).to_lowercase(),
                    _ => value == key,
                },
                MatchKey::List(keys) => keys.iter().any(|k| k == value),
                MatchKey::Wildcard(pattern) => {
                    if case_insensitive {
                        wildcard_match(&pattern.to_lowercase(), &trim_name(value).to_lowercase())
                    } else {
                        wildcard_match(pattern, value)
                    }
                }
                MatchKey::Range { from, to } => {
                    let value = normalize_temporal(vr, value);
                    let above = from
                        .as_ref()
                        .is_none_or(|f| truncated(&value, f.len()) >= f.as_str());
                    let below = to
                        .as_ref()
                        .is_none_or(|t| truncated(&value, t.len()) <= t.as_str());
                    above && below
                }
                MatchKey::FuzzyName(words) => {
                    let components: Vec<String> = value
                        .split(|c: char| c == '^' || c == '=' || c.is_whitespace())
                        .map(fold)
                        .filter(|c| !c.is_empty())
                        .collect();
                    words
                        .iter()
                        .all(|w| components.iter().any(|c| c.starts_with(w.as_str())))
                }
            })
    }
}

/// The first `n` characters of an ASCII date/time string (all of it when shorter), so that a key written at a
/// coarser precision ("2023" or "10") compares against the same leading digits of a finer value.
fn truncated(value: &str, n: usize) -> &str {
    value.get(..n.min(value.len())).unwrap_or(value)
}

/// Brings a DA, TM or DT value to its canonical digits: the ACR-NEMA separators in dates (`2023.06.10`) and times
/// (`10:30:00`) are removed and, for DT, a UTC offset suffix (`+0100`) is dropped.
fn normalize_temporal(vr: VR, value: &str) -> String {
    let value = value.trim();
    let value = if vr == VR::DT {
        // The offset starts at a sign after the date part (position ≥ 4); a leading sign is never an offset.
        match value
            .char_indices()
            .skip(4)
            .find(|(_, c)| *c == '+' || *c == '-')
        {
            Some((i, _)) => &value[..i],
            None => value,
        }
    } else {
        value
    };
    value
        .chars()
        .filter(|c| !matches!(c, '.' | ':') || (vr != VR::DA && *c == '.'))
        .collect()
}

/// A Person Name without its trailing empty components (`Doe^John^^^` is `Doe^John`).
fn trim_name(value: &str) -> &str {
    value.trim_end_matches(['^', '=', ' '])
}

/// Wildcard matching (PS3.4 C.2.2.2.4): `*` matches zero or more characters, `?` exactly one character.
pub fn wildcard_match(pattern: &str, value: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    // Greedy matching with backtracking to the last `*`; linear in practice, never recursive.
    let (mut pi, mut vi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, vi));
                pi += 1;
            }
            Some(&c) if c == '?' || Some(&c) == v.get(vi) => {
                pi += 1;
                vi += 1;
            }
            _ => match star {
                Some((sp, sv)) => {
                    pi = sp + 1;
                    vi = sv + 1;
                    star = Some((sp, sv + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

/// Folds a name for fuzzy matching: lower case, with the accents of Latin letters removed (`Müller` → `muller`,
/// `Øre` → `ore`, `Straße` → `strasse`).
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        for l in c.to_lowercase() {
            match base_letter(l) {
                Some(b) => out.push_str(b),
                None => out.push(l),
            }
        }
    }
    out
}

/// The unaccented spelling of a lower-case Latin-1 / Latin Extended-A letter, if it has an accent.
fn base_letter(c: char) -> Option<&'static str> {
    const TABLE: &[(&str, &str)] = &[
        ("àáâãäåāăą", "a"),
        ("çćĉċč", "c"),
        ("ďđ", "d"),
        ("èéêëēĕėęě", "e"),
        ("ĝğġģ", "g"),
        ("ĥħ", "h"),
        ("ìíîïĩīĭįı", "i"),
        ("ĵ", "j"),
        ("ķ", "k"),
        ("ĺļľŀł", "l"),
        ("ñńņňŉ", "n"),
        ("òóôõöøōŏő", "o"),
        ("ŕŗř", "r"),
        ("śŝşš", "s"),
        ("ţťŧ", "t"),
        ("ùúûüũūŭůűų", "u"),
        ("ŵ", "w"),
        ("ýÿŷ", "y"),
        ("źżž", "z"),
        ("ß", "ss"),
        ("æ", "ae"),
        ("œ", "oe"),
        ("þ", "th"),
    ];
    TABLE
        .iter()
        .find(|(accented, _)| accented.contains(c))
        .map(|(_, base)| *base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn m(vr: VR, key: &str, value: &str) -> bool {
        MatchKey::parse(vr, key, false).matches(vr, &vals(&[value]))
    }

    #[test]
    fn empty_key_is_universal_even_for_absent_values() {
        assert_eq!(MatchKey::parse(VR::LO, "", false), MatchKey::Universal);
        assert!(MatchKey::Universal.matches(VR::LO, &[]));
        // A lone `*` is also universal: it must match records where the attribute is empty.
        assert!(MatchKey::parse(VR::LO, "*", false).matches(VR::LO, &[]));
    }

    #[test]
    fn single_value_matching_is_exact_and_case_sensitive_for_non_names() {
        assert!(m(VR::LO, "PAT001", "PAT001"));
        assert!(!m(VR::LO, "PAT001", "pat001"));
        assert!(!m(VR::LO, "PAT001", "PAT0011"));
        // Trailing padding spaces of the stored value are not significant.
        assert!(m(VR::SH, "ACC1", "ACC1 "));
    }

    #[test]
    fn absent_attribute_does_not_match_a_non_empty_key() {
        assert!(!MatchKey::parse(VR::LO, "X", false).matches(VR::LO, &[]));
        assert!(!MatchKey::parse(VR::LO, "X", false).matches(VR::LO, &vals(&[""])));
    }

    #[test]
    fn wildcards_star_and_question_mark() {
        assert!(m(VR::LO, "CHEST*", "CHEST CT"));
        assert!(m(VR::LO, "*CT", "CHEST CT"));
        assert!(m(VR::LO, "C?EST*", "CHEST CT"));
        assert!(!m(VR::LO, "C?EST", "CHEST CT"));
        assert!(m(VR::LO, "*A*B*", "xxAyyBzz"));
        assert!(!m(VR::LO, "*A*B*", "xxByyAzz"));
        assert!(m(VR::LO, "a**", "a"));
    }

    #[test]
    fn person_names_match_case_insensitively_ignoring_empty_trailing_components() {
        assert!(m(VR::PN, "doe^john", "Doe^John"));
        assert!(m(VR::PN, "DOE^JOHN", "Doe^John^^^"));
        assert!(m(VR::PN, "doe*", "DOE^JANE"));
        assert!(!m(VR::PN, "doe", "Doe^John"));
    }

    #[test]
    fn fuzzy_names_match_any_component_prefix_without_case_or_accents() {
        let key = MatchKey::parse(VR::PN, "mull", true);
        assert!(key.matches(VR::PN, &vals(&["Müller^Hans"])));
        assert!(MatchKey::parse(VR::PN, "hans", true).matches(VR::PN, &vals(&["Müller^Hans"])));
        assert!(MatchKey::parse(VR::PN, "MÜLLER", true).matches(VR::PN, &vals(&["MULLER^HANS"])));
        // Every word of the key must find a component; word order does not matter.
        assert!(MatchKey::parse(VR::PN, "hans mü", true).matches(VR::PN, &vals(&["Müller^Hans"])));
        assert!(
            !MatchKey::parse(VR::PN, "hans schmidt", true).matches(VR::PN, &vals(&["Müller^Hans"]))
        );
        // Prefix, not substring.
        assert!(!MatchKey::parse(VR::PN, "ller", true).matches(VR::PN, &vals(&["Müller^Hans"])));
        // Without fuzzymatching the same key is an exact (case-insensitive) match and fails.
        assert!(!MatchKey::parse(VR::PN, "mull", false).matches(VR::PN, &vals(&["Müller^Hans"])));
    }

    #[test]
    fn fold_removes_accents_and_case() {
        assert_eq!(fold("ÉLODIE"), "elodie");
        assert_eq!(fold("Øre"), "ore");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("Łukasz"), "lukasz");
    }

    #[test]
    fn date_range_with_both_ends_is_inclusive() {
        assert!(m(VR::DA, "20230101-20231231", "20230101"));
        assert!(m(VR::DA, "20230101-20231231", "20231231"));
        assert!(m(VR::DA, "20230101-20231231", "20230610"));
        assert!(!m(VR::DA, "20230101-20231231", "20240101"));
        assert!(!m(VR::DA, "20230101-20231231", "20221231"));
    }

    #[test]
    fn open_ended_date_ranges() {
        assert!(m(VR::DA, "-20230610", "20230610"));
        assert!(m(VR::DA, "-20230610", "19991231"));
        assert!(!m(VR::DA, "-20230610", "20230611"));
        assert!(m(VR::DA, "20230610-", "20230610"));
        assert!(m(VR::DA, "20230610-", "20991231"));
        assert!(!m(VR::DA, "20230610-", "20230609"));
    }

    #[test]
    fn legacy_dotted_dates_are_compared_by_their_digits() {
        assert!(m(VR::DA, "20230610", "2023.06.10"));
        assert!(m(VR::DA, "20230601-20230630", "2023.06.10"));
    }

    #[test]
    fn time_ranges_compare_at_the_precision_of_the_bounds() {
        // "-1200" includes every time within 12:00 (12:00:30 is still "12:00" at minute precision).
        assert!(m(VR::TM, "-1200", "120030"));
        assert!(!m(VR::TM, "-1200", "120100"));
        assert!(m(VR::TM, "0800-1000", "093015.123"));
        assert!(!m(VR::TM, "0800-1000", "075959"));
        // ACR-NEMA colons are ignored.
        assert!(m(VR::TM, "0800-1000", "09:30:15"));
        // A single time at hour precision matches the whole hour.
        assert!(m(VR::TM, "09", "093015"));
    }

    #[test]
    fn datetime_ranges_ignore_utc_offset_suffixes() {
        assert!(m(
            VR::DT,
            "20230610000000-20230610235959",
            "20230610101500+0100"
        ));
        assert!(!m(VR::DT, "20230611-", "20230610101500-0500"));
    }

    #[test]
    fn uid_list_matching_accepts_commas_and_backslashes() {
        assert_eq!(
            MatchKey::parse(VR::UI, "1.2.3,1.2.4", false),
            MatchKey::List(vec!["1.2.3".into(), "1.2.4".into()])
        );
        assert!(m(VR::UI, "1.2.3,1.2.4", "1.2.4"));
        assert!(m(VR::UI, "1.2.3\\1.2.4", "1.2.3"));
        assert!(!m(VR::UI, "1.2.3,1.2.4", "1.2.5"));
        // UIDs never wildcard-match: `*` inside a UID key is literal (and so matches nothing real).
        assert!(!m(VR::UI, "1.2.*", "1.2.3"));
    }

    #[test]
    fn multi_valued_attributes_match_when_any_value_matches() {
        // Modalities in Study "CT\SR" is found by ModalitiesInStudy=SR.
        let key = MatchKey::parse(VR::CS, "SR", false);
        assert!(key.matches(VR::CS, &vals(&["CT", "SR"])));
        assert!(!key.matches(VR::CS, &vals(&["CT", "MR"])));
    }

    #[test]
    fn code_string_lists_match_any_listed_code() {
        let key = MatchKey::parse(VR::CS, "CT,MR", false);
        assert!(key.matches(VR::CS, &vals(&["MR"])));
        assert!(!key.matches(VR::CS, &vals(&["US"])));
    }
}
