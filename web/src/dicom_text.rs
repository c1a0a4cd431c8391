//! How DICOM text values are shown to a reader: Person Name (PN) as "FAMILY, Given Middle", Date (DA) as
//! ISO 8601 `YYYY-MM-DD`, Time (TM) as `HH:MM`.
//!
//! These are display rules only. They never fail: a value that does not follow its Value Representation (PS3.5
//! 6.2) is shown exactly as received, because hiding what the archive holds would mislead more than showing it raw.
//! They must not parse DICOM JSON (that is `lumen-dicomweb`'s job) and the result is always rendered as text.

/// A Person Name (PN) `Family^Given^Middle^Prefix^Suffix` (PS3.5 6.2.1) for display:
/// `"DOE^JOHN^A^^JR"` → `"DOE, JOHN A, JR"`. Empty components are left out; the prefix (`DR`) is put first;
/// surrounding spaces are trimmed. A value without `^` is returned trimmed. Of a value with several component
/// groups (`Alphabetic=Ideographic=Phonetic`), the first non-empty group is shown.
pub fn person_name(value: &str) -> String {
    let group = value
        .split('=')
        .find(|g| !g.replace('^', "").trim().is_empty())
        .unwrap_or_default();
    let mut parts = group.split('^').map(str::trim);
    let family = parts.next().unwrap_or_default();
    let given = parts.next().unwrap_or_default();
    let middle = parts.next().unwrap_or_default();
    let prefix = parts.next().unwrap_or_default();
    let suffix = parts.next().unwrap_or_default();

    let first_names = join_nonempty(&[prefix, given, middle], " ");
    let mut out = join_nonempty(&[family, &first_names], ", ");
    if !suffix.is_empty() {
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(suffix);
    }
    out
}

fn join_nonempty(parts: &[&str], sep: &str) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(sep)
}

/// A Date (DA) value `YYYYMMDD` as `YYYY-MM-DD`. The pre-1993 ACR-NEMA form `YYYY.MM.DD` is accepted too. Anything
/// else (including impossible months or days) is returned trimmed and unchanged.
pub fn date(value: &str) -> String {
    let v = value.trim();
    let digits: String = match v.len() {
        8 => v.to_string(),
        10 if v.as_bytes().get(4) == Some(&b'.') && v.as_bytes().get(7) == Some(&b'.') => {
            v.replace('.', "")
        }
        _ => return v.to_string(),
    };
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return v.to_string();
    }
    let (y, m, d) = (&digits[0..4], &digits[4..6], &digits[6..8]);
    let month: u32 = m.parse().unwrap_or(0);
    let day: u32 = d.parse().unwrap_or(0);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return v.to_string();
    }
    format!("{y}-{m}-{d}")
}

/// A Time (TM) value `HHMMSS.FFFFFF` (any trailing part optional) as `HH:MM`; the ACR-NEMA form `HH:MM:SS` is
/// accepted too. Anything else is returned trimmed and unchanged; an hour-only value is shown as `HH:00`.
pub fn time(value: &str) -> String {
    let v = value.trim();
    let compact: String = v.chars().filter(|c| *c != ':').collect();
    let hhmm = compact.get(0..4).or_else(|| compact.get(0..2));
    let Some(hhmm) = hhmm else {
        return v.to_string();
    };
    if !hhmm.bytes().all(|b| b.is_ascii_digit()) {
        return v.to_string();
    }
    let hour: u32 = hhmm[0..2].parse().unwrap_or(99);
    let minute: u32 = hhmm
        .get(2..4)
        .map_or(Some(0), |m| m.parse().ok())
        .unwrap_or(99);
    if hour > 23 || minute > 59 {
        return v.to_string();
    }
    format!("{hour:02}:{minute:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn person_name_puts_family_first_then_given_and_middle() {
        assert_eq!(person_name("DOE^JOHN^A"), "DOE, JOHN A");
        assert_eq!(person_name("Phantom^Chest"), "Phantom, Chest");
    }

    #[test]
    fn person_name_keeps_prefix_before_and_suffix_after() {
        assert_eq!(person_name("DOE^JOHN^^DR^JR"), "DOE, DR JOHN, JR");
    }

    #[test]
    fn person_name_without_components_is_trimmed_only() {
        assert_eq!(person_name("  ANONYMOUS "), "ANONYMOUS");
        assert_eq!(person_name(""), "");
        assert_eq!(person_name("^^"), "");
    }

    #[test]
    fn person_name_shows_the_first_nonempty_component_group() {
        assert_eq!(
            person_name("Yamada^Tarou=山田^太郎=やまだ^たろう"),
            "Yamada, Tarou"
        );
        assert_eq!(person_name("=山田^太郎"), "山田, 太郎");
    }

    #[test]
    fn person_name_with_empty_family_shows_given_name() {
        assert_eq!(person_name("^JANE"), "JANE");
    }

    #[test]
    fn date_is_shown_as_iso_8601() {
        assert_eq!(date("20240131"), "2024-01-31");
        assert_eq!(date("1987.05.04"), "1987-05-04");
    }

    #[test]
    fn malformed_date_is_shown_unchanged() {
        assert_eq!(date("20241301"), "20241301"); // month 13
        assert_eq!(date("2024013"), "2024013");
        assert_eq!(date("2024-01-31"), "2024-01-31");
        assert_eq!(date("abcdefgh"), "abcdefgh");
        assert_eq!(date(""), "");
    }

    #[test]
    fn time_is_shown_as_hours_and_minutes() {
        assert_eq!(time("143015.123456"), "14:30");
        assert_eq!(time("0705"), "07:05");
        assert_eq!(time("09"), "09:00");
        assert_eq!(time("14:30:15"), "14:30");
    }

    #[test]
    fn malformed_time_is_shown_unchanged() {
        assert_eq!(time("2561"), "2561");
        assert_eq!(time("1"), "1");
        assert_eq!(time("ab12"), "ab12");
    }
}
