//! The report's Content Date and Time.

use crate::{Error, InvalidInputSnafu};
use snafu::ensure;

/// When the report's content was made (DICOM DA `YYYYMMDD`, TM `HHMMSS`, and an optional UTC offset `+HHMM`).
///
/// The crate reads no clock: the viewer passes `Date.now()`, native callers `SystemTime`, through
/// [`ContentDateTime::from_unix_seconds`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentDateTime {
    date: String,
    time: String,
    utc_offset: Option<String>,
}

impl ContentDateTime {
    /// A local date and time with no stated UTC offset; refuses impossible dates and times.
    pub fn new(
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
    ) -> Result<Self, Error> {
        let what = || "content date and time".to_string();
        ensure!(
            (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month),
            InvalidInputSnafu {
                what: what(),
                problem: format!("{year:04}-{month:02}-{day:02} is not a date")
            }
        );
        ensure!(
            hour < 24 && minute < 60 && second < 60,
            InvalidInputSnafu {
                what: what(),
                problem: format!("{hour:02}:{minute:02}:{second:02} is not a time")
            }
        );
        ensure!(
            (1..=9999).contains(&year),
            InvalidInputSnafu {
                what: what(),
                problem: format!("year {year} is outside 1..=9999")
            }
        );
        Ok(Self {
            date: format!("{year:04}{month:02}{day:02}"),
            time: format!("{hour:02}{minute:02}{second:02}"),
            utc_offset: None,
        })
    }

    /// UTC from seconds since 1970-01-01T00:00:00Z, with Timezone Offset From UTC `+0000`.
    pub fn from_unix_seconds(seconds: i64) -> Result<Self, Error> {
        let days = seconds.div_euclid(86_400);
        let rem = seconds.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        ensure!(
            (1..=9999).contains(&y),
            InvalidInputSnafu {
                what: "content date and time".to_string(),
                problem: format!("{seconds} s is outside years 1..=9999")
            }
        );
        let mut out = Self::new(
            y as u16,
            m,
            d,
            (rem / 3600) as u8,
            (rem / 60 % 60) as u8,
            (rem % 60) as u8,
        )?;
        out.utc_offset = Some("+0000".into());
        Ok(out)
    }

    /// DICOM DA.
    pub fn date(&self) -> &str {
        &self.date
    }

    /// DICOM TM.
    pub fn time(&self) -> &str {
        &self.time
    }

    /// Timezone Offset From UTC (`+0000`) when known.
    pub fn utc_offset(&self) -> Option<&str> {
        self.utc_offset.as_deref()
    }
}

// `is_multiple_of` needs Rust 1.87; the workspace's rust-version is 1.85.
#[allow(clippy::manual_is_multiple_of)]
fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Proleptic Gregorian (year, month, day) of a day count from 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_seconds_become_utc_date_and_time() {
        let t = ContentDateTime::from_unix_seconds(0).unwrap();
        assert_eq!(
            (t.date(), t.time(), t.utc_offset()),
            ("19700101", "000000", Some("+0000"))
        );
        // 2024-02-29T23:59:59Z, a leap day.
        let t = ContentDateTime::from_unix_seconds(1_709_251_199).unwrap();
        assert_eq!((t.date(), t.time()), ("20240229", "235959"));
        let t = ContentDateTime::from_unix_seconds(-1).unwrap();
        assert_eq!((t.date(), t.time()), ("19691231", "235959"));
    }

    #[test]
    fn impossible_dates_and_times_are_refused() {
        assert!(ContentDateTime::new(2023, 2, 29, 0, 0, 0)
            .unwrap_err()
            .to_string()
            .contains("not a date"));
        assert!(ContentDateTime::new(2024, 2, 29, 0, 0, 0).is_ok());
        assert!(ContentDateTime::new(2024, 13, 1, 0, 0, 0).is_err());
        assert!(ContentDateTime::new(2024, 1, 1, 24, 0, 0)
            .unwrap_err()
            .to_string()
            .contains("not a time"));
        assert!(ContentDateTime::from_unix_seconds(i64::MAX).is_err());
        assert!(ContentDateTime::from_unix_seconds(i64::MIN).is_err());
    }
}
