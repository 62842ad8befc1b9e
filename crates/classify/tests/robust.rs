//! Never panic on input: classification of arbitrary text glued from the shapes the rules parse (platform
//! comments, model slots, build IDs, product tokens, e-mail and URL pieces) and arbitrary characters.

use proptest::prelude::*;
use ringmark_classify::{Signals, classify};

/// Pieces the rule parsers look at, cut anywhere by the generator.
const PIECES: &[&str] = &[
    "Mozilla/5.0 (",
    "Linux; Android 9; ",
    "Mozilla/5.0 (Linux; Android 9; Acme Build/",
    "Dalvik/2.1.0 (Linux; U; Android 11; X Build/RTT",
    "Android 12;",
    "; wv) ",
    " Build/",
    "Build/PI",
    "Build/STTC",
    "PTT1.190716.001",
    "AppleWebKit/537.36 (KHTML, like Gecko) ",
    "Chrome/120.0 Mobile Safari/537.36",
    "Safari/537.36",
    "(compatible; ",
    "Googlebot/2.1",
    "bot",
    "BOT",
    "Puffin/9.1.AT",
    "Amazon;AFT",
    "(ACME, X1, wired)",
    "wireless)",
    "@",
    "a@b.cd",
    "+http://x",
    "SM-T510",
    "HUAWEI BG2-W09",
    "TECNO P7",
    "QUAD-CORE T3",
    "TDTV43",
    "(screen 600x800; ",
    "CFNetwork/1.0 Darwin/9 (PowerMac1%2C1)",
    "Windows NT 10.0; Touch; ",
    "iPhone",
    "iPad",
    "Silk/3.6",
    "Opera/9.80 (VRE; ",
    "curl/8",
    "Mozilla/5.0",
    ")",
    ";",
    " ",
    "é",
    "\u{a0}",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]
    #[test]
    fn classify_never_panics(parts in proptest::collection::vec(
        (0..PIECES.len(), 0usize..6, 0usize..6, "[ -~é]{0,3}"),
        0..10,
    )) {
        let mut ua = String::new();
        for (i, cut_front, cut_back, noise) in parts {
            let p = PIECES[i];
            // Cut on char boundaries only: the UA is a `&str`.
            let chars: Vec<char> = p.chars().collect();
            let a = cut_front.min(chars.len());
            let b = chars.len().saturating_sub(cut_back).max(a);
            ua.extend(&chars[a..b]);
            ua.push_str(&noise);
        }
        let c = classify(&Signals::from_user_agent(&ua));
        prop_assert_eq!(c.machine, c.opener.as_str() != "person");
    }
}
