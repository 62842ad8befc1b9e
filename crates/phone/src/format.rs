//! Display strings, computed once when a number joins a pool (stored next to the E.164 form, so the request
//! path only copies a string).
//!
//! A small hand-written table replaces libphonenumber (`phonenumber` costs ~0.5 MB gzipped in wasm and
//! 300–520 ms on its first parse, libraries.md A5). Each entry knows the trunk prefix and groupings of one
//! country's common number types; output matches libphonenumber's national format for the examples in
//! libraries.md A5, and international strings use spaces only (`+1 415 555 0132`), which read the same in
//! every locale. Anything the table does not recognise (another country, an unexpected length) falls back
//! to [`fallback_groups`]: national = international, because the trunk prefix is unknown.
//!
//! Area-code lengths that vary (Germany, UK, Italy, Netherlands, Japan) are guessed by a short rule per
//! country, documented on each function. A wrong guess moves a space, never changes a digit; the operator
//! can always give the display string themselves.

use crate::E164;
use serde::{Deserialize, Serialize};

/// Which display string to produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisplayFormat {
    /// As dialled inside the country: `(415) 555-0132`, `0 (212) 555 12 34`, `020 7946 0958`.
    National,
    /// With the country code, space-grouped: `+1 415 555 0132`, `+90 212 555 12 34`.
    International,
}

/// A country's formatting of one national number: the groups as written internationally, and how the
/// national form decorates them.
struct Plan {
    /// Digit groups of the national significant number, joined by spaces in international form.
    groups: Vec<String>,
    /// National form, built from the same groups.
    national: String,
}

/// The number written for display in `format`.
///
/// ```
/// use ringmark_phone::{display, DisplayFormat, E164};
/// let n = E164::parse("+14155550132")?;
/// assert_eq!(display(&n, DisplayFormat::National), "(415) 555-0132");
/// assert_eq!(display(&n, DisplayFormat::International), "+1 415 555 0132");
/// # Ok::<(), ringmark_phone::PhoneError>(())
/// ```
pub fn display(number: &E164, format: DisplayFormat) -> String {
    let cc = number.country_code();
    let nsn = number.national_digits();
    let plan = plan(cc, nsn);
    match (format, plan) {
        (DisplayFormat::National, Some(p)) => p.national,
        (DisplayFormat::International, Some(p)) => format!("+{cc} {}", p.groups.join(" ")),
        (_, None) => format!("+{cc} {}", fallback_groups(nsn).join(" ")),
    }
}

/// Splits `digits` after each length in `lens`; the last group takes the rest. `None` if too short.
fn cut(digits: &str, lens: &[usize]) -> Option<Vec<String>> {
    let mut out = Vec::with_capacity(lens.len() + 1);
    let mut at = 0;
    for &len in lens {
        out.push(digits.get(at..at + len)?.to_owned());
        at += len;
    }
    let rest = digits.get(at..)?;
    if !rest.is_empty() {
        out.push(rest.to_owned());
    }
    Some(out)
}

/// Groups with an exact total length, or `None`.
fn exact(digits: &str, lens: &[usize]) -> Option<Vec<String>> {
    if digits.len() == lens.iter().sum::<usize>() {
        cut(digits, lens.split_last().map_or(&[], |(_, init)| init))
    } else {
        None
    }
}

/// The country table. `None`: not a country or number shape the table knows.
fn plan(cc: u16, nsn: &str) -> Option<Plan> {
    match cc {
        1 => nanp(nsn),
        90 => {
            let g = exact(nsn, &[3, 3, 2, 2])?;
            let [a, b, c, d] = g.as_slice() else {
                return None;
            };
            let national = format!("0 ({a}) {b} {c} {d}");
            Some(Plan {
                groups: g,
                national,
            })
        }
        49 => germany(nsn),
        44 => uk(nsn),
        33 => {
            let g = exact(nsn, &[1, 2, 2, 2, 2])?;
            let (first, rest) = g.split_first()?;
            let national = format!("0{first} {}", rest.join(" "));
            Some(Plan {
                groups: g,
                national,
            })
        }
        34 => {
            let g = exact(nsn, &[3, 2, 2, 2])?;
            Some(Plan {
                national: g.join(" "),
                groups: g,
            })
        }
        39 => italy(nsn),
        31 => netherlands(nsn),
        61 => australia(nsn),
        81 => japan(nsn),
        _ => None,
    }
}

/// US, Canada and the rest of NANP: `(415) 555-0132`.
fn nanp(nsn: &str) -> Option<Plan> {
    let g = exact(nsn, &[3, 3, 4])?;
    let [a, b, c] = g.as_slice() else {
        return None;
    };
    let national = format!("({a}) {b}-{c}");
    Some(Plan {
        groups: g,
        national,
    })
}

/// Germany, trunk prefix 0, area codes of 2–5 digits. Rule: Berlin 30, Hamburg 40, Frankfurt 69 and
/// Munich 89 are the only 2-digit codes; 3-digit codes are the big cities, which nearly all end in 1
/// (221 Cologne, 711 Stuttgart, 911 Nuremberg …) plus a few listed exceptions; mobile 15x uses 4 digits,
/// 16x/17x 3; everything else is taken as 4 digits (5-digit rural codes get one digit too few). The
/// subscriber number stays in one block: `030 1234567`, `0221 1234567`, `0171 2345678`.
fn germany(nsn: &str) -> Option<Plan> {
    const THREE: &[&str] = &[
        "201", "202", "203", "208", "209", "212", "228", "234", "335", "340", "345", "365", "375",
        "385", "395",
    ];
    if !(6..=11).contains(&nsn.len()) {
        return None;
    }
    let area = match nsn.get(..2)? {
        "30" | "40" | "69" | "89" => 2,
        "15" => 4,
        "16" | "17" => 3,
        _ if nsn.as_bytes().get(2) == Some(&b'1') || THREE.contains(&nsn.get(..3)?) => 3,
        _ => 4,
    };
    let g = cut(nsn, &[area])?;
    let national = format!("0{}", g.join(" "));
    Some(Plan {
        groups: g,
        national,
    })
}

/// United Kingdom, 10-digit national numbers, trunk prefix 0. Rule: 2x (London 20, Southampton 23,
/// Coventry 24, Northern Ireland 28, Cardiff 29) → `020 7946 0958`; 11x and 1x1 (Leeds 113, Birmingham 121,
/// Manchester 161 …) → `0121 234 5678`; other 1x → 4-digit area `01632 960123`; 7x mobiles → `07700 900123`;
/// 3x, 8x, 9x non-geographic → `0800 123 4567`.
fn uk(nsn: &str) -> Option<Plan> {
    let b = nsn.as_bytes();
    let lens: &[usize] = match (b.first()?, b.get(1)?, b.get(2)?) {
        (b'2', _, _) => &[2, 4, 4],
        (b'1', b'1', _) | (b'1', _, b'1') => &[3, 3, 4],
        (b'1', _, _) | (b'7', _, _) => &[4, 6],
        (b'3' | b'8' | b'9', _, _) => &[3, 3, 4],
        _ => return None,
    };
    let g = exact(nsn, lens)?;
    let national = format!("0{}", g.join(" "));
    Some(Plan {
        groups: g,
        national,
    })
}

/// Italy, no trunk prefix (the leading 0 of landlines is part of the number). Rule: 02 Milan and 06 Rome
/// have 2-digit area codes, other landlines (0…) are taken as 3 digits, then blocks of 4; mobiles (3…) are
/// 3-3-4: `06 6982 0000`, `055 1234 567`, `312 345 6789`.
fn italy(nsn: &str) -> Option<Plan> {
    let g = match nsn.get(..2)? {
        "02" | "06" => cut(nsn, &[2, 4]),
        p if p.starts_with('0') => cut(nsn, &[3, 4]),
        p if p.starts_with('3') => exact(nsn, &[3, 3, 4]),
        _ => None,
    }?;
    Some(Plan {
        national: g.join(" "),
        groups: g,
    })
}

/// Netherlands, 9-digit national numbers, trunk prefix 0. Rule: mobiles 6 → `06 12345678`; the 2-digit
/// area codes (10 Rotterdam, 20 Amsterdam, 30 Utrecht, 70 The Hague, …) → `020 123 4567`; others are
/// 3-digit → `0111 234567`.
fn netherlands(nsn: &str) -> Option<Plan> {
    const TWO: &[&str] = &[
        "10", "13", "15", "20", "23", "24", "26", "30", "33", "35", "36", "38", "40", "43", "45",
        "46", "50", "53", "55", "58", "70", "71", "72", "73", "74", "75", "76", "77", "78", "79",
    ];
    let lens: &[usize] = if nsn.starts_with('6') {
        &[1, 8]
    } else if TWO.contains(&nsn.get(..2)?) {
        &[2, 3, 4]
    } else {
        &[3, 6]
    };
    let g = exact(nsn, lens)?;
    let national = format!("0{}", g.join(" "));
    Some(Plan {
        groups: g,
        national,
    })
}

/// Australia, 9-digit national numbers, trunk prefix 0: landlines (2, 3, 7, 8) → `(02) 9374 4000`,
/// mobiles (4) → `0412 345 678`.
fn australia(nsn: &str) -> Option<Plan> {
    match nsn.as_bytes().first()? {
        b'2' | b'3' | b'7' | b'8' => {
            let g = exact(nsn, &[1, 4, 4])?;
            let [a, b, c] = g.as_slice() else {
                return None;
            };
            let national = format!("(0{a}) {b} {c}");
            Some(Plan {
                groups: g,
                national,
            })
        }
        b'4' => {
            let g = exact(nsn, &[3, 3, 3])?;
            let national = format!("0{}", g.join(" "));
            Some(Plan {
                groups: g,
                national,
            })
        }
        _ => None,
    }
}

/// Japan, trunk prefix 0, hyphens nationally. Rule: 10-digit mobiles and IP phones (70, 80, 90, 50) →
/// `080-1234-5678`; 9-digit Tokyo (3) and Osaka (6) → `03-1234-5678`; other 9-digit geographic numbers get a
/// 2-digit area code → `045-123-4567`; freephone 120 → `0120-123-456`.
fn japan(nsn: &str) -> Option<Plan> {
    let lens: &[usize] = match (nsn.len(), nsn.get(..2)?) {
        (10, "70" | "80" | "90" | "50") => &[2, 4, 4],
        (9, p) if p.starts_with("12") => &[3, 3, 3],
        (9, p) if p.starts_with('3') || p.starts_with('6') => &[1, 4, 4],
        (9, _) => &[2, 3, 4],
        _ => return None,
    };
    let g = exact(nsn, lens)?;
    let national = format!("0{}", g.join("-"));
    Some(Plan {
        groups: g,
        national,
    })
}

/// A readable grouping for numbers the table does not know: blocks of three, with a leading pair when
/// the length leaves two over (`12 345 678`) and a final four when it leaves one over (`123 456 7890`);
/// four digits or fewer stay whole.
pub(crate) fn fallback_groups(digits: &str) -> Vec<String> {
    let n = digits.len();
    if n <= 4 {
        return vec![digits.to_owned()];
    }
    let mut lens = Vec::new();
    match n % 3 {
        0 => lens.extend(std::iter::repeat_n(3, n / 3)),
        1 => {
            lens.extend(std::iter::repeat_n(3, (n - 4) / 3));
            lens.push(4);
        }
        _ => {
            lens.push(2);
            lens.extend(std::iter::repeat_n(3, (n - 2) / 3));
        }
    }
    cut(digits, lens.split_last().map_or(&[], |(_, init)| init))
        .unwrap_or_else(|| vec![digits.to_owned()])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(s: &str) -> (String, String) {
        let n = E164::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        (
            display(&n, DisplayFormat::National),
            display(&n, DisplayFormat::International),
        )
    }

    #[test]
    fn libraries_a5_examples_match_libphonenumber_national_format() {
        // libraries.md A5: phonenumber 0.3.10 (libphonenumber 9.0.33) national output.
        assert_eq!(both("+14155550132").0, "(415) 555-0132");
        assert_eq!(both("+442079460958").0, "020 7946 0958");
        assert_eq!(both("+4930901820").0, "030 901820");
        assert_eq!(both("+33142685300").0, "01 42 68 53 00");
        assert_eq!(both("+61293744000").0, "(02) 9374 4000");
        assert_eq!(both("+818012345678").0, "080-1234-5678");
    }

    #[test]
    fn issue_examples_national_and_international() {
        let table = [
            ("+14155550132", "(415) 555-0132", "+1 415 555 0132"),
            ("+16135550199", "(613) 555-0199", "+1 613 555 0199"),
            ("+902125551234", "0 (212) 555 12 34", "+90 212 555 12 34"),
            ("+905321234567", "0 (532) 123 45 67", "+90 532 123 45 67"),
            ("+49301234567", "030 1234567", "+49 30 1234567"),
            ("+492211234567", "0221 1234567", "+49 221 1234567"),
            ("+4917112345678", "0171 12345678", "+49 171 12345678"),
            ("+4915112345678", "01511 2345678", "+49 1511 2345678"),
            ("+4933051234", "03305 1234", "+49 3305 1234"),
            ("+442079460958", "020 7946 0958", "+44 20 7946 0958"),
            ("+441212345678", "0121 234 5678", "+44 121 234 5678"),
            ("+441632960123", "01632 960123", "+44 1632 960123"),
            ("+447700900123", "07700 900123", "+44 7700 900123"),
            ("+448001234567", "0800 123 4567", "+44 800 123 4567"),
            ("+33142685300", "01 42 68 53 00", "+33 1 42 68 53 00"),
            ("+33612345678", "06 12 34 56 78", "+33 6 12 34 56 78"),
            ("+34912345678", "912 34 56 78", "+34 912 34 56 78"),
            ("+390669820000", "06 6982 0000", "+39 06 6982 0000"),
            ("+390551234567", "055 1234 567", "+39 055 1234 567"),
            ("+393123456789", "312 345 6789", "+39 312 345 6789"),
            ("+31201234567", "020 123 4567", "+31 20 123 4567"),
            ("+31612345678", "06 12345678", "+31 6 12345678"),
            ("+31111234567", "0111 234567", "+31 111 234567"),
            ("+61293744000", "(02) 9374 4000", "+61 2 9374 4000"),
            ("+61412345678", "0412 345 678", "+61 412 345 678"),
            ("+818012345678", "080-1234-5678", "+81 80 1234 5678"),
            ("+81312345678", "03-1234-5678", "+81 3 1234 5678"),
            ("+81451234567", "045-123-4567", "+81 45 123 4567"),
            ("+81120123456", "0120-123-456", "+81 120 123 456"),
        ];
        for (input, national, international) in table {
            assert_eq!(
                both(input),
                (national.to_owned(), international.to_owned()),
                "{input}"
            );
        }
    }

    #[test]
    fn unknown_countries_and_shapes_fall_back_to_grouped_international() {
        // Brazil is not in the table; a 7-digit French number is not a French shape.
        assert_eq!(
            both("+5511912345678"),
            ("+55 11 912 345 678".into(), "+55 11 912 345 678".into())
        );
        assert_eq!(both("+353123456789").1, "+353 123 456 789");
        assert_eq!(both("+331234567").0, "+33 123 4567");
    }

    #[test]
    fn fallback_grouping_shapes() {
        let g = |s: &str| fallback_groups(s).join(" ");
        assert_eq!(g("1234"), "1234");
        assert_eq!(g("12345"), "12 345");
        assert_eq!(g("123456"), "123 456");
        assert_eq!(g("1234567"), "123 4567");
        assert_eq!(g("12345678"), "12 345 678");
        assert_eq!(g("1234567890"), "123 456 7890");
    }
}
