//! Assigned ITU-T E.164 country codes (ITU-T E.164 Annex / "List of ITU-T Recommendation E.164 assigned
//! country codes", including the international networks 800, 808, 870, 878, 881–883, 888, 979, 991).
//! Spare and reserved codes are absent, so a typo such as `+295…` is caught. Country codes are prefix-free,
//! so at most one length (1, 2 or 3 digits) matches.

/// One-digit codes: NANP and Russia/Kazakhstan.
const ONE: &[u16] = &[1, 7];

/// Two-digit codes.
const TWO: &[u16] = &[
    20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56,
    57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
];

/// Three-digit codes, ascending.
const THREE: &[u16] = &[
    211, 212, 213, 216, 218, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229, 230, 231, 232, 233,
    234, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252,
    253, 254, 255, 256, 257, 258, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 290, 291, 297,
    298, 299, 350, 351, 352, 353, 354, 355, 356, 357, 358, 359, 370, 371, 372, 373, 374, 375, 376,
    377, 378, 379, 380, 381, 382, 383, 385, 386, 387, 389, 420, 421, 423, 500, 501, 502, 503, 504,
    505, 506, 507, 508, 509, 590, 591, 592, 593, 594, 595, 596, 597, 598, 599, 670, 672, 673, 674,
    675, 676, 677, 678, 679, 680, 681, 682, 683, 685, 686, 687, 688, 689, 690, 691, 692, 800, 808,
    850, 852, 853, 855, 856, 870, 878, 880, 881, 882, 883, 886, 888, 960, 961, 962, 963, 964, 965,
    966, 967, 968, 970, 971, 972, 973, 974, 975, 976, 977, 979, 991, 992, 993, 994, 995, 996, 997,
    998,
];

/// The assigned country code that prefixes `digits` (ASCII digits, no `+`), with its length in digits.
pub(crate) fn split(digits: &str) -> Option<(u16, usize)> {
    [(ONE, 1), (TWO, 2), (THREE, 3)]
        .into_iter()
        .find_map(|(table, len)| {
            let code: u16 = digits.get(..len)?.parse().ok()?;
            table.binary_search(&code).ok().map(|_| (code, len))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_for_binary_search() {
        for t in [ONE, TWO, THREE] {
            assert!(t.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn codes_are_prefix_free() {
        for &c in TWO {
            assert!(!ONE.contains(&(c / 10)), "{c}");
        }
        for &c in THREE {
            assert!(!ONE.contains(&(c / 100)) && !TWO.contains(&(c / 10)), "{c}");
        }
    }

    #[test]
    fn splits_known_codes_and_refuses_spare_ones() {
        assert_eq!(split("14155550132"), Some((1, 1)));
        assert_eq!(split("902125551234"), Some((90, 2)));
        assert_eq!(split("35312345678"), Some((353, 3)));
        assert_eq!(split("2951234567"), None);
        assert_eq!(split("2101234567"), None);
        assert_eq!(split("3881234567"), None);
        assert_eq!(split(""), None);
    }
}
