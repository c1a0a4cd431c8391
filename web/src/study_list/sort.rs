//! The order of the study list: by any column, either direction, newest study first by default. Blank values go
//! last in both directions (a study without a date is never the "newest"), and text compares without regard to case.
//!
//! Pure ordering of rows the page already has; it must not ask the archive to sort.

use crate::data_source::StudySummary;
use crate::dicom_text;
use std::cmp::Ordering;

/// A sortable column of the study list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    PatientName,
    PatientId,
    StudyDate,
    Modalities,
    Description,
    Accession,
    Series,
    Instances,
    /// The AI triage score (highest first): triage support, not a diagnosis.
    Triage,
}

/// How the study list is ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StudySort {
    pub key: SortKey,
    pub descending: bool,
}

impl Default for StudySort {
    /// Newest study first, as a reading list is read.
    fn default() -> Self {
        StudySort {
            key: SortKey::StudyDate,
            descending: true,
        }
    }
}

impl StudySort {
    /// The order after clicking the header of `key`: the same column flips direction; another column starts with
    /// its natural direction (dates and counts descending, text ascending).
    pub fn toggled(self, key: SortKey) -> StudySort {
        if self.key == key {
            StudySort {
                key,
                descending: !self.descending,
            }
        } else {
            let descending = matches!(
                key,
                SortKey::StudyDate | SortKey::Series | SortKey::Instances | SortKey::Triage
            );
            StudySort { key, descending }
        }
    }

    /// Sorts `studies` in this order (stable: equal rows keep the archive's order); `score` gives a study's
    /// triage score, if any (studies without one go last).
    pub fn apply(self, studies: &mut [StudySummary], score: impl Fn(&StudySummary) -> Option<f32>) {
        studies.sort_by(|a, b| self.compare(a, b, &score));
    }

    fn compare(self, a: &StudySummary, b: &StudySummary, score: &impl Fn(&StudySummary) -> Option<f32>) -> Ordering {
        let directed = |o: Ordering| if self.descending { o.reverse() } else { o };
        match self.key {
            SortKey::PatientName => text_order(
                &dicom_text::person_name(&a.patient_name),
                &dicom_text::person_name(&b.patient_name),
                directed,
            ),
            SortKey::PatientId => text_order(&a.patient_id, &b.patient_id, directed),
            SortKey::StudyDate => blanks_last(a.study_date.is_empty(), b.study_date.is_empty())
                .then_with(|| {
                    directed((&a.study_date, &a.study_time).cmp(&(&b.study_date, &b.study_time)))
                }),
            SortKey::Modalities => {
                text_order(&a.modalities.join(" "), &b.modalities.join(" "), directed)
            }
            SortKey::Description => text_order(&a.description, &b.description, directed),
            SortKey::Accession => text_order(&a.accession_number, &b.accession_number, directed),
            SortKey::Series => count_order(a.number_of_series, b.number_of_series, directed),
            SortKey::Instances => {
                count_order(a.number_of_instances, b.number_of_instances, directed)
            }
            SortKey::Triage => {
                let (sa, sb) = (score(a), score(b));
                blanks_last(sa.is_none(), sb.is_none())
                    .then_with(|| directed(sa.unwrap_or(0.0).total_cmp(&sb.unwrap_or(0.0))))
            }
        }
    }
}

fn blanks_last(a_blank: bool, b_blank: bool) -> Ordering {
    a_blank.cmp(&b_blank)
}

fn text_order(a: &str, b: &str, directed: impl Fn(Ordering) -> Ordering) -> Ordering {
    let (a, b) = (a.trim(), b.trim());
    blanks_last(a.is_empty(), b.is_empty())
        .then_with(|| directed(a.to_lowercase().cmp(&b.to_lowercase())))
}

fn count_order(
    a: Option<u32>,
    b: Option<u32>,
    directed: impl Fn(Ordering) -> Ordering,
) -> Ordering {
    blanks_last(a.is_none(), b.is_none()).then_with(|| directed(a.cmp(&b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn study(uid: &str, name: &str, date: &str, series: Option<u32>) -> StudySummary {
        StudySummary {
            study_instance_uid: uid.into(),
            patient_name: name.into(),
            study_date: date.into(),
            number_of_series: series,
            ..Default::default()
        }
    }

    fn order(studies: &[StudySummary]) -> Vec<&str> {
        studies
            .iter()
            .map(|s| s.study_instance_uid.as_str())
            .collect()
    }

    #[test]
    fn default_order_is_newest_first_with_undated_last() {
        let mut s = vec![
            study("old", "A", "20200101", None),
            study("none", "B", "", None),
            study("new", "C", "20240101", None),
        ];
        StudySort::default().apply(&mut s, |_| None);
        assert_eq!(order(&s), ["new", "old", "none"]);
    }

    #[test]
    fn patient_name_sorts_without_regard_to_case_and_blanks_stay_last() {
        let mut s = vec![
            study("b", "smith^ann", "", None),
            study("x", "", "", None),
            study("a", "DOE^JOHN", "", None),
        ];
        let asc = StudySort::default().toggled(SortKey::PatientName);
        assert!(!asc.descending);
        asc.apply(&mut s, |_| None);
        assert_eq!(order(&s), ["a", "b", "x"]);
        asc.toggled(SortKey::PatientName).apply(&mut s, |_| None);
        assert_eq!(order(&s), ["b", "a", "x"]);
    }

    #[test]
    fn counts_start_descending_with_unknown_counts_last() {
        let mut s = vec![
            study("two", "", "", Some(2)),
            study("unknown", "", "", None),
            study("ten", "", "", Some(10)),
        ];
        let by_series = StudySort::default().toggled(SortKey::Series);
        assert!(by_series.descending);
        by_series.apply(&mut s, |_| None);
        assert_eq!(order(&s), ["ten", "two", "unknown"]);
    }

    #[test]
    fn triage_scores_sort_highest_first_with_unscored_studies_last() {
        let mut s = vec![
            study("low", "", "", None),
            study("none", "", "", None),
            study("high", "", "", None),
        ];
        let score = |st: &StudySummary| match st.study_instance_uid.as_str() {
            "low" => Some(0.1),
            "high" => Some(0.9),
            _ => None,
        };
        let by_triage = StudySort::default().toggled(SortKey::Triage);
        assert!(by_triage.descending);
        by_triage.apply(&mut s, score);
        assert_eq!(order(&s), ["high", "low", "none"]);
        by_triage.toggled(SortKey::Triage).apply(&mut s, score);
        assert_eq!(order(&s), ["low", "high", "none"]);
    }

    #[test]
    fn clicking_the_same_column_flips_direction() {
        let s = StudySort::default();
        assert_eq!(
            s.toggled(SortKey::StudyDate),
            StudySort {
                key: SortKey::StudyDate,
                descending: false
            }
        );
    }
}
