//! Model-code and platform conventions added in round 2, as hand-written vectors. The model codes are written
//! for this file from each brand's documented naming scheme (most are invented codes that follow the scheme),
//! not copied from the shared corpus; each group names the convention it exercises.

use ringmark_classify::{DeviceClass, Signals, classify};

use DeviceClass::*;

fn android(model: &str, mobile: bool) -> String {
    format!(
        "Mozilla/5.0 (Linux; Android 12; {model}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 {}Safari/537.36",
        if mobile { "Mobile " } else { "" }
    )
}

mod common;

use common::{check_uas, device as ua_class};

fn check(group: &str, cases: &[(&str, bool, DeviceClass)]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|&(model, mobile, want)| {
            let ua = android(model, mobile);
            let got = classify(&Signals::from_user_agent(&ua)).device;
            (got != want).then(|| format!("  {model:?} (Mobile={mobile}): want {want}, got {got}"))
        })
        .collect();
    common::assert_group(group, cases.len(), &failures);
}

/// Tablet series prefixes and codes, also when the UA wrongly says "Mobile" (device-detection.md §6: 19% of
/// Android tablets send "Mobile").
#[test]
fn tablet_brand_conventions_beat_mobile() {
    check(
        "tablet conventions",
        &[
            ("SM-X910", true, Tablet),         // Samsung Galaxy Tab S (SM-X)
            ("SM-T225", true, Tablet),         // Samsung Galaxy Tab A (SM-T)
            ("SM-P619", true, Tablet),         // Samsung Tab with S Pen (SM-P)
            ("SAMSUNG SM-T295", true, Tablet), // brand word in front of the code
            ("TB-J716F", true, Tablet),        // Lenovo Tab, dashed
            ("TB351FU", true, Tablet),         // Lenovo Tab, newer dashless code
            ("KFRAWI", false, Tablet),         // Amazon Fire: KF + capitals
            ("AGS6-W09", true, Tablet),        // Huawei MatePad family prefix
            ("ABC-W19", true, Tablet),         // Huawei/Honor Wi-Fi-only variant: tablets only
            ("XYZ2-W00", false, Tablet),       // same, with a generation digit
            ("QRS-AL09", true, Tablet),        // MediaPad/MatePad cellular variant
            ("9035X", true, Tablet),           // Alcatel 9000-series tablet
            ("8099M_EEA", true, Tablet),       // Alcatel 8000-series tablet with market suffix
            ("B3-A60", true, Tablet),          // Acer Iconia One
            ("A1-860", true, Tablet),          // Acer Iconia Tab
            ("LG-V611", true, Tablet),         // LG G Pad
            ("Nokia T30", true, Tablet),       // Nokia T-series tablets
            ("OPD2499", true, Tablet),         // OPPO / OnePlus Pad
            ("RMP2499", true, Tablet),         // realme Pad
            ("25019RP77G", true, Tablet),      // Xiaomi date code with RP (Redmi Pad)
            ("BNTV700", false, Tablet),        // Barnes & Noble Nook
            ("MID1099", true, Tablet),         // white-label "mobile internet device"
            ("GENERIC MID 799", true, Tablet), // MID as a word
            ("PMID7100", true, Tablet),        // Polaroid-style PMID codes
            ("Acme Pad 11", true, Tablet),     // "Pad" in the model name
            ("Acme Tab 8 Plus", true, Tablet), // "Tab" in the model name
            ("HP Slate 12", true, Tablet),     // "Slate" in the model name
            ("BQ-1099L", true, Tablet),        // BQ 10xx tablets
            ("TF301T", false, Tablet),         // Asus Transformer TF + 3 digits
        ],
    );
}

/// Phone conventions for UAs without "Mobile" (Chinese-market browsers, desktop mode): the no-Mobile default
/// would otherwise call them tablets.
#[test]
fn phone_codes_without_mobile() {
    check(
        "phone codes",
        &[
            ("V2999A", false, Smartphone),    // vivo V + 4 digits
            ("PXYZ10", false, Smartphone),    // OPPO China-market P + 3 capitals + 2 digits
            ("M2099K1AG", false, Smartphone), // Xiaomi M + YYMM date code
            ("ABC-AL00", false, Smartphone),  // Huawei/Honor cellular variant
            ("ABC-LX9", false, Smartphone),   // Huawei/Honor global cellular variant
            ("ABC-N29", false, Smartphone),   // Honor N variant
            ("Coolpad 9999", false, Smartphone),
            ("SM-S999B", false, Smartphone),   // Samsung Galaxy S
            ("5099D", true, Smartphone),       // Alcatel 5000-series phone
            ("SO-99Z", true, Smartphone),      // Japanese carrier code: not a panel code
            ("ZX599KL", true, Smartphone),     // Asus-style code containing "4K"-like digits
            ("AB-04K", true, Smartphone),      // "04K" is not "4K"
            ("STV199", true, Smartphone),      // capital + "TV" + digits is a phone code
            ("Acme S5 DTV", true, Smartphone), // DTV: a broadcast tuner in a phone
        ],
    );
}

/// TV and set-top conventions in the model code: panel codes with a screen diagonal, boxes, set-top SoCs,
/// Fire TV, box makers (device-detection.md §5 #2).
#[test]
fn tv_model_conventions() {
    check(
        "tv conventions",
        &[
            ("55QX9000", false, Tv),        // diagonal + capital + coded tail
            ("ACME_43UX7000", false, Tv),   // after a brand and underscore
            ("LE40CX1234AB", false, Tv),    // 1–3 capitals before the diagonal
            ("K50QLX7US", true, Tv),        // even when the UA says Mobile
            ("32LEX_7001_TS2C", false, Tv), // diagonal-first code with separators
            ("Acme Box 4", false, Tv),      // a box
            ("ExampleBOX-X9", true, Tv),
            ("Acme STB 2", false, Tv),          // set-top box
            ("Acme DVB-T2 Player", false, Tv),  // broadcast receiver
            ("Generic RK3318 Quad", false, Tv), // Rockchip set-top SoC
            ("Box S905X4 8K", false, Tv),       // Amlogic SoC
            ("X96 Max Plus", false, Tv),        // TV-box maker prefix
            ("UGOOS XM", false, Tv),
            ("AFTXYZ", false, Tv),     // Amazon Fire TV
            ("AcmeTV-A1", false, Tv),  // word ending in TV
            ("AC09TV", false, Tv),     // series number, then TV
            ("Acme 4K", false, Tv),    // free-standing 4K
            ("YNDX-00099", false, Tv), // Yandex TV module
        ],
    );
}

/// Not TVs despite TV-looking pieces: tablet sizes and Huawei's BTV tablet prefix.
#[test]
fn tv_lookalikes_stay_tablets() {
    check(
        "tv lookalikes",
        &[
            ("BTV-W09", false, Tablet),           // MediaPad prefix contains "TV"
            ("ACME 70b TITANIUM", false, Tablet), // "70b" tablet size, lower case
            ("ATL-21PLUS", false, Tablet),        // diagonal-like digits without a coded tail
            ("Turbox S9", true, Smartphone),      // "box" inside a phone brand
        ],
    );
}

/// Wearables, cameras, car head units, music players, single-board computers (class "other").
#[test]
fn other_model_conventions() {
    check(
        "other",
        &[
            ("SM-R999", false, Other), // Samsung Galaxy Watch / Gear
            ("SAMSUNG SM-R960", false, Other),
            ("EK-GC999", true, Other),        // Samsung Galaxy Camera
            ("COOLPIX S999", true, Other),    // Nikon camera
            ("AcmeWatch Pro", false, Other),  // watch in the model
            ("car_hu1280x720", true, Other),  // head unit named after its resolution
            ("FiiO M99", true, Other),        // hi-fi player
            ("NW-A999", true, Other),         // Sony Walkman
            ("Raspberry Pi 9", false, Other), // single-board computer
        ],
    );
}

/// Laptop and mini-PC product lines running Android (Android-x86, Chromebooks): desktop.
#[test]
fn pc_lines_are_desktops() {
    check(
        "pc lines",
        &[
            ("HP EliteBook 999 G9", false, Desktop),
            ("Latitude 9999", false, Desktop),
            ("Acer Chromebook 999", false, Desktop),
            ("ThinkPad X999", false, Desktop),
            ("NUC99i9", false, Desktop),
        ],
    );
    // Chromebook app UAs (Dalvik) too.
    let ua = "Dalvik/2.1.0 (Linux; U; Android 11; Acme Chromebook 14 Build/R99-1)";
    assert_eq!(classify(&Signals::from_user_agent(ua)).device, Desktop);
}

/// Windows Phone, MeeGo and Bada UAs name Nokia/Samsung/carriers but are smartphones, not feature phones.
#[test]
fn smartphone_platforms_with_feature_phone_words() {
    check_uas(
        "smartphone platforms with feature-phone words",
        &[
            "Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; NOKIA; Lumia 999) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0 Mobile Safari/537.36 Edge/15.1",
            "Mozilla/5.0 (compatible; MSIE 10.0; Windows Phone 8.0; Trident/6.0; IEMobile/10.0; ARM; Touch; NOKIA; Lumia 999)",
            "UCWEB/2.0 (Windows; U; wds 8.10; en-US; NOKIA; RM-9999) U2/1.0.0 UCBrowser/4.2.1.541 U2/1.0.0 Mobile",
            "Mozilla/5.0 (MeeGo; NokiaN99) AppleWebKit/534.13 (KHTML, like Gecko) NokiaBrowser/8.5.0 Mobile Safari/534.13",
            "Mozilla/5.0 (SAMSUNG; SAMSUNG-GT-S9999/1.0; U; Bada/2.0; en-us) AppleWebKit/534.20 (KHTML, like Gecko) Dolfin/3.0 Mobile HVGA SMM-MMS/1.2.0 OPN-B",
        ]
        .map(|ua| (ua, Smartphone)),
    );
    // A real MIDP phone is still a feature phone.
    let ua = "Nokia9999/2.0 (09.99) Profile/MIDP-2.1 Configuration/CLDC-1.1";
    assert_eq!(classify(&Signals::from_user_agent(ua)).device, Featurephone);
}

/// Round 4 tablet conventions (invented codes following each scheme), also when the UA says "Mobile".
#[test]
fn round4_tablet_conventions() {
    check(
        "round-4 tablets",
        &[
            ("HEY2-L99", true, Tablet),           // Honor Pad family, cellular variant
            ("ELN-AL99", true, Tablet),           // Honor Pad X family
            ("BZQ-L99", true, Tablet),            // Honor `BZx` pad family in Huawei code shape
            ("PLE-799L", true, Tablet),           // MediaPad T2 family
            ("HUAWEI M2-809L", true, Tablet),     // MediaPad M2 8", brand word in front
            ("DBR-AL99", true, Tablet),           // MatePad 11 family
            ("ACME_Tab_8", true, Tablet),         // underscores for spaces: "Tab" word
            ("CITI_1999_4G", true, Tablet),       // underscores before a known tablet line
            ("Acme 10 ZX1099QG", true, Tablet),   // ODM hardware code, 10" size digits
            ("Acme_Plus_XY8999MG", true, Tablet), // ODM hardware code, 8"
            ("TECNO Q1199", true, Tablet),        // Transsion code starting with the 11" diagonal
            ("itel Z10099L", true, Tablet),       // same, 10"
            ("TECNO DP9Z", true, Tablet),         // TECNO DroiPad line
        ],
    );
}

/// The counterparts that must stay phones: small size digits, Transsion phone series, Huawei phone shapes.
#[test]
fn round4_phone_lookalikes() {
    check(
        "round-4 phones",
        &[
            ("Acme Z500 4G XY5099ML", true, Smartphone), // ODM hardware code, 5" phone
            ("Acme XY4099PG", true, Smartphone), // a 4" code does not turn Mobile into tablet
            ("TECNO KZ7", false, Smartphone),    // TECNO phone series
            ("Infinix X6899", false, Smartphone), // Infinix phone: series 6
            ("itel A699L", false, Smartphone),   // itel phone
            ("HEYX-L99", true, Smartphone),      // not the HEY- family: a phone code
            ("BZ-L09", true, Smartphone),        // "BZ" without the family letter
        ],
    );
}

/// Android TV build IDs (`<release>T<…>.<date>`) and Google's `ATV` word.
#[test]
fn android_tv_builds_and_words() {
    check_uas(
        "android TV builds",
        &[
            "Mozilla/5.0 (Linux; Android 9; Acme One Build/PTT9.190101.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/99.0.0.0 Mobile Safari/537.36",
            "Dalvik/2.1.0 (Linux; U; Android 11; XQ1 Build/RTT9.211231.009)",
            "Dalvik/2.1.0 (Linux; U; Android 12; XQ2 Build/STTZ.230101.001)",
            "Mozilla/5.0 (Linux; Android 10; Box Q Build/QTG9.200101.001) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.0.0 Safari/537.36",
            "Mozilla/5.0 (Linux; Android 9.0.0; Q1 Build/PQ9A.190101.001; wv-atv; mse) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/43.0 Mobile Safari/537.36",
        ]
        .map(|ua| (ua, Tv)),
    );
    // Phone and tablet branch letters stay what the rest of the UA says.
    check_uas(
        "phone and tablet branch letters",
        &[
            (
                "Mozilla/5.0 (Linux; Android 13; Acme 9 Build/TP9A.230101.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0 Mobile Safari/537.36",
                Smartphone,
            ),
            (
                "Mozilla/5.0 (Linux; Android 11; Acme 9 Build/RKQ9.200101.001) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
                Smartphone,
            ),
        ],
    );
}

/// E-reader firmware stating its panel: a 4:3-ish panel of 600 px or more is a tablet; a phone-shaped one is not.
#[test]
fn stated_screen_size() {
    let reader = |w: u32, h: u32| {
        format!(
            "Mozilla/5.0 (Linux; Android 8.0.0; xx_XX) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0 Mobile Safari/537.36 AcmeReader/9 (screen {w}x{h}; FW 1.2.3)"
        )
    };
    assert_eq!(ua_class(&reader(758, 1024)), Tablet);
    assert_eq!(ua_class(&reader(1404, 1872)), Tablet);
    assert_eq!(ua_class(&reader(1080, 2340)), Smartphone); // 19.5:9, a phone
    assert_eq!(ua_class(&reader(480, 640)), Smartphone); // too small
}

/// Round 5: signals a browser or platform states about itself (invented UAs following each vendor's format).
#[test]
fn self_declared_device_kinds() {
    let puffin = |os: &str, mobile: &str, kind: &str| {
        format!(
            "Mozilla/5.0 (Linux; Android 11; {os}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0 {mobile}Safari/537.36 Puffin/9.9.1.12345{kind}"
        )
    };
    // Puffin's version suffix names the build: AT/IT tablet, AP/IP phone; it wins over `Mobile` and over a
    // wearable-looking model name; other suffixes fall through to the usual rules.
    assert_eq!(ua_class(&puffin("Acme One", "Mobile ", "AT")), Tablet);
    assert_eq!(ua_class(&puffin("Acme One", "", "AP")), Smartphone);
    assert_eq!(ua_class(&puffin("Acme-Glass", "Mobile ", "AP")), Smartphone);
    assert_eq!(ua_class(&puffin("Acme One", "Mobile ", "WD")), Smartphone);
    // Kindle Fire Silk in desktop mode: no Android token, a `KF…` code or a Mac string.
    check_uas(
        "silk desktop mode",
        &[
            "Mozilla/5.0 (Linux; U; en-gb; KFXYWI Build/ABC12) AppleWebKit/535.19 (KHTML, like Gecko) Silk/3.9 Safari/535.19 Silk-Accelerated=true",
            "Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10_6_3; en-us; Silk/1.0.1.2_3) AppleWebKit/533.16 (KHTML, like Gecko) Version/5.0 Safari/533.16 Silk-Accelerated=true",
        ]
        .map(|ua| (ua, Tablet)),
    );
    // Silk on a Fire TV says Android and an `AFT…` model.
    assert_eq!(
        ua_class(
            "Mozilla/5.0 (Linux; Android 9; AFTXYZ Build/PS7000) AppleWebKit/537.36 (KHTML, like Gecko) Silk/99.1.2 like Chrome/99.0 Safari/537.36"
        ),
        Tv
    );
    // Japanese carrier feature phones and MediaTek's VRE runtime.
    check_uas(
        "japanese and VRE feature phones",
        &[
            "DoCoMo/2.0 P999i(c100;TB;W24H12)",
            "Mozilla/4.08 (X123i;FOMA;c500;TB)",
            "Mozilla/5.0 (jig browser core; XY01Z)",
            "Opera/9.80 (VRE; Opera Mini/4.4/12.3456; U; en) Presto/2.8.119 Version/11.10",
        ]
        .map(|ua| (ua, Featurephone)),
    );
    // MSN TV (WebTV) set-top boxes.
    assert_eq!(ua_class("Mozilla/4.0 WebTV/2.8 (compatible; MSIE 4.0)"), Tv);
    // Huawei two-letter family codes take the Wi-Fi-variant rule too (`XY2-W09` tablet, `XY2-L09` phone).
    assert_eq!(ua_class(&android("BG2-W09", true)), Tablet);
    assert_eq!(ua_class(&android("XY2-W19", true)), Tablet);
    assert_eq!(ua_class(&android("XY2-L09", false)), Smartphone);
}

/// `<name>bot-<purpose>` is still a bot (`FooBot-Media`, `Acmebot-News`).
#[test]
fn hyphenated_bot_names() {
    check_uas(
        "hyphenated bot names",
        &[
            "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/534+ (KHTML, like Gecko) AcmeBot-Media /1.0b",
            "Examplebot-News",
        ]
        .map(|ua| (ua, Bot)),
    );
}

/// Round 5 model conventions (invented codes following each scheme).
#[test]
fn round5_model_conventions() {
    check(
        "round 5",
        &[
            ("TECNO P799", true, Tablet), // Transsion: number led by a 7"–9" diagonal
            ("itel W8001", true, Tablet), // same, itel
            ("itel W6004", true, Smartphone), // 6" leads: a phone
            ("Infinix X6999", true, Smartphone),
            ("ELN9-W09", true, Tablet), // Honor tablet family letters with a generation digit
            ("HEY7-L09", true, Tablet), // …also on a cellular variant
            ("ABC7-L09", true, Smartphone), // not a tablet family: a phone
            ("M bot 99", true, Smartphone), // "bot" inside the Android model slot names the device
            ("XBot Junior", true, Smartphone),
        ],
    );
}

/// Round 5: weak bot evidence (a `compatible;` comment, an `@`, no browser shape) loses to a named device,
/// while real bots stay bots (invented UAs in each product's format).
#[test]
fn devices_with_bot_like_shapes() {
    check_uas(
        "devices with bot-like shapes",
        &[
            ("Amazon;AFTXY;0123456789abcdef;;tpapi;3.1.2", Tv),
            (
                "Mozilla/5.0(compatible; U; InfiNet 0.1; Viera) AppleWebKit/420+ (KHTML, like Gecko) Viera/9.1",
                Tv,
            ),
            (
                "iPhone (compatible; Smartphone2.0) Acme News 1.2 / iOS 17.1",
                Smartphone,
            ),
            (
                "iPad (compatible; Tablet2.0) Acme News 1.2 / iPadOS 17.1",
                Tablet,
            ),
            (
                "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36 (Ecosia android@120.0.6099.1)",
                Smartphone,
            ),
            (
                "[FBAN/FB4A;FBAV/99.0.0.1;FBBV/1234;FBLC/en_US;FBMF/acme;FBDV/Acme One;FBSV/9;]",
                Smartphone,
            ),
            // An e-mail address is still a bot's contact.
            ("AcmeFetch/1.0 (ops@example.com)", Bot),
            // Nothing after the closing `)` is the Android model: the bot word counts.
            (
                "Mozilla/5.0 (Linux; Android 7.0;) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; AcmeBot)",
                Bot,
            ),
        ],
    );
}

/// Round 5: words that name a device line, not a device kind (invented UAs).
#[test]
fn device_lines_named_like_other_kinds() {
    // "Quest" is a phone line unless Meta's headset names itself `Quest <n>` or the Oculus browser.
    check(
        "quest",
        &[
            ("ACME Quest 402", true, Smartphone),
            ("conquest-S99", true, Smartphone),
            ("Quest 9", false, Other),
        ],
    );
    // Sonos controller apps name the computer or phone they run on; the speaker's own string is "other".
    check_uas(
        "sonos",
        &[
            (
                "Linux UPnP/1.0 Sonos/70.1-12345 (ICRU_iPhone15,2)",
                Smartphone,
            ),
            ("Linux UPnP/1.0 Sonos/70.1-12345 (ICRU_iPad13,1)", Tablet),
            (
                "Linux UPnP/1.0 Sonos/70.1-12345 (MDCR_MacBookPro18,1)",
                Desktop,
            ),
            ("Linux UPnP/1.0 Sonos/70.1-12345 (ZPS9)", Other),
        ],
    );
}

/// Round 5 TV conventions (invented UAs in each platform's format).
#[test]
fn round5_tv_conventions() {
    check_uas(
        "round 5 TVs",
        &[
            // Opera's TV SDK suffix: maker, model, connection.
            "Opera/9.80 (Linux armv7l) Presto/2.12.407 Version/12.51 MB97/1.2.3 (ACME, XY1234, wireless)",
            "Opera/9.80 (Linux armv7l) Presto/2.12.407 Version/12.51 (ACME, XY1234, wired)",
            // MIPS Linux is set-top silicon.
            "Mozilla/5.0 (Linux mips) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/40.0 Safari/537.36",
            // Broadcast-broadband and signage players.
            "Hybridcast/1.0 (;000000;ACMETV;2;2;)",
            "BrightSign/9.0.1 (XT1234)Mozilla/5.0 (X11; Linux aarch64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/87.0 Safari/537.36",
            // Box firmware build IDs: a bare ATV branch or just the release codename.
            "Dalvik/2.1.0 (Linux; U; Android 9; Q7 Build/PI)",
            // Cronet's app UA puts a `;` between the model and `Build/`.
            "Linux; U; Android 11; de_DE; XY12345; Build/RTT0.210618.003; Cronet/114.0.5735.33",
            // Infomir MAG set-tops: the `stbapp` portal client.
            "Mozilla/5.0 (QtEmbedded; U; Linux; C) AppleWebKit/533.3 (KHTML, like Gecko) MAG999 stbapp ver: 6 rev: 1234 Mobile Safari/533.3",
            "Mozilla/5.0 (Linux; Android 12; Acme Streamer Build/STTC; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0 Mobile Safari/537.36",
            // TiviMate is published for Android TV only; boxes that call themselves a streaming box.
            "TiviMate/4.0.0 (ACME X1; Android 11)",
            "AcmeTV/1.0 (Acme 4K Streaming Box; Android 12)",
        ]
        .map(|ua| (ua, Tv)),
    );
    // Panasonic's `Viera` is a word: the phone line "RIVIERA" is no TV.
    assert_eq!(ua_class(&android("RIVIERA X9", true)), Smartphone);
    // `DTV` + diagonal is a panel code; a bare `…DTV` is a phone's tuner.
    assert_eq!(ua_class(&android("ACDTV50XY01U", false)), Tv);
    assert_eq!(ua_class(&android("SH-DTV", true)), Smartphone);
    // Full phone build IDs; a box brand that merely contains "xbox" is a TV box, not a console.
    assert_eq!(
        ua_class("Dalvik/2.1.0 (Linux; U; Android 9; Acme 5 Build/PPR1.180610.011)"),
        Smartphone
    );
    assert_eq!(ua_class(&android("NEXBOX-A99", false)), Tv);
}

/// Round 5: car stereos, POS terminals, and what a cut-short or space-stripped UA still says (invented UAs).
#[test]
fn round5_other_devices_and_damaged_uas() {
    check(
        "round 5 other",
        &[
            ("QUAD-CORE T3 x9", false, Other), // Allwinner T3 car stereo
            ("OCTA-CORE T8", false, Other),
            ("UltraOcta-T8", false, Other),
            ("QuadCore-R16", false, Other),
            ("Quad T800", false, Tablet), // not an automotive part number
            ("ac8227L_demo", false, Other), // AutoChips car SoC
            ("ACME POS 9", true, Other),  // point-of-sale terminal
            ("ACME-WPOS-3", true, Other),
            ("Octa Core Phone 9", true, Smartphone), // "core" without an automotive part
        ],
    );
    // A WebKit UA cut before its `[Mobile ]Safari/` token does not say "no Mobile": app default (phone).
    assert_eq!(
        ua_class(
            "Mozilla/5.0 (Linux; Android 10; Acme 9 Build/QKQ1.191222.002; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/78.0.3904.62"
        ),
        Smartphone
    );
    // Spaces stripped out: `MobileSafari` is still Mobile.
    assert_eq!(
        ua_class(
            "Mozilla/5.0(Linux; Android 6.0; Acme X Build/MRA58K)AppleWebKit/537.36(KHTML, like Gecko)Chrome/59.0.3071.125MobileSafari/537.36"
        ),
        Smartphone
    );
    // A complete UA without Mobile stays a tablet.
    assert_eq!(ua_class(&android("Acme 9", false)), Tablet);
}

/// Round 5 box makers (invented model numbers in each line's scheme).
#[test]
fn round5_box_makers() {
    check(
        "round 5 boxes",
        &[
            ("YUNDOO-Y9", false, Tv),
            ("INVIN KM99", false, Tv),
            ("NEXON X99", true, Tv),
            ("VMP-099-123", false, Tv),
            ("iconBIT Movie Ultra", false, Tv),
            ("iconBIT NetTAB SKY", false, Tablet), // the same maker's tablets
            ("VMP0999", true, Smartphone),         // not the Vinga scheme
        ],
    );
}

/// Round 5 platform conventions (invented UAs in each platform's format).
#[test]
fn round5_platform_conventions() {
    check_uas(
        "round 5 platforms",
        &[
            // IE on a touch-screen Windows device: tablet; Windows phones said WPDesktop.
            (
                "Mozilla/5.0 (Windows NT 10.0; Trident/7.0; Touch; AcmeTab 10; rv:11.0) like Gecko",
                Tablet,
            ),
            (
                "Mozilla/5.0 (Windows NT 6.2; ARM; Trident/7.0; Touch; rv:11.0; WPDesktop; Lumia 999) like Gecko",
                Smartphone,
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0",
                Desktop,
            ),
            // Windows 10 Mobile's Edge names the Lumia.
            (
                "Mozilla/5.0 (Windows NT 10.0; ARM; Lumia 999) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/46.0 Safari/537.36 Edge/13.10586",
                Smartphone,
            ),
            // PowerPC Macs name themselves in CFNetwork apps' UAs.
            (
                "AcmeApp1.2 CFNetwork/438.16 Darwin/9.8.0 (Power%20Macintosh) (PowerMac9%2C1)",
                Desktop,
            ),
        ],
    );
    // The OS agrees with the device: a Mac model in a CFNetwork app's UA means macOS, not iOS.
    let mac = classify(&Signals::from_user_agent(
        "AcmeApp1.2 CFNetwork/438.16 Darwin/9.8.0 (Power%20Macintosh) (PowerMac9%2C1)",
    ));
    assert_eq!((mac.device, mac.os), (Desktop, Some("macOS")));
    let ios = classify(&Signals::from_user_agent(
        "AcmeApp/3 CFNetwork/1410.0.3 Darwin/22.6.0",
    ));
    assert_eq!((ios.device, ios.os), (Smartphone, Some("iOS")));
    // Retroid handhelds are consoles; a ThinkPad *Tablet* is not a laptop.
    check(
        "round 5 models",
        &[
            ("Retroid Pocket 9", true, Console),
            ("ThinkPad Tablet", false, Tablet),
            ("ThinkPad X1", false, Desktop),
        ],
    );
}

/// Round 5: programs that borrow the `Mozilla/` prefix but name no platform, and monitoring words.
#[test]
fn round5_programs() {
    for ua in [
        "Mozilla/5.0 acmewatch/0.1",
        "Mozilla/5.0 (Acme check)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Acme Inspector",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 AcmeObservatory/1.0",
    ] {
        let c = classify(&Signals::from_user_agent(ua));
        assert_eq!((c.device, c.machine), (Bot, true), "{ua}");
    }
    // A bare `Mozilla/5.0` is Apple Mail Privacy Protection's prefetch, not a crawler.
    let c = classify(&Signals::from_user_agent("Mozilla/5.0"));
    assert_ne!(c.device, Bot);
    assert_eq!(
        ua_class(
            "Mozilla/5.0 (compatible; Konqueror/3.5; CYGWIN_NT-10.0) KHTML/3.5.1 (like Gecko)"
        ),
        Desktop
    );
}

/// Damaged UAs never panic: an empty or one-letter build ID, a UA ending inside a keyword's context.
#[test]
fn truncated_uas_do_not_panic() {
    for ua in [
        "Mozilla/5.0 (Linux; Android 9; Acme Build/",
        "Mozilla/5.0 (Linux; Android 9; Acme Build/)",
        "Mozilla/5.0 (Linux; Android 9; Acme Build/P",
        "Dalvik/2.1.0 (Linux; U; Android 9; Acme Build/",
        "Mozilla/5.0 Puffin/",
        "Mozilla/5.0 (Linux; Android 9; Acme) Puffin/9.1.2.A",
        "Amazon;aft",
        "x bot",
        "bot",
        "a@b",
        "@",
        "Opera/9.80 (Linux mips; ) Presto/2.12 (ACME, X1, wired)",
        "(ACME, X1, wired)",
        "wired)",
        "Mozilla/",
        "Mozilla/5.0 (",
    ] {
        let _ = classify(&Signals::from_user_agent(ua));
    }
}

/// Round 5: desktop browsers and apps on niche or old platforms (invented UAs in each product's format).
#[test]
fn round5_niche_desktops() {
    check_uas(
        "round 5 niche desktops",
        &[
            // A `compatible;` comment naming a desktop OS is a browser there, not a crawler.
            "Mozilla/5.0 (compatible; AcmeBrowse 2.0; AmigaOS4.1)",
            "Mozilla/5.0 (compatible; U; AcmeWeb/1.2; Haiku) AppleWebKit/533.4 (KHTML, like Gecko)",
            // Mosaic carries CERN's libwww but is a browser.
            "NCSA_Mosaic/2.7 (X11;Linux 2.6.7 i686) libwww/2.12 modified",
            "VMS_Mosaic/4.1 (Motif;OpenVMS V8.4 AlphaServer) libwww/2.12_Mosaic",
            // Desktop apps naming their OS: QuickTime's `qtver=…;os=Mac`, Windows release words.
            "QuickTime/7.7.9 (qtver=7.7.9;cpu=IA32;os=Mac 10.13.6)",
            "AcmeLauncher/3.1 (Acme) 0123abcd (win11 x64)",
        ]
        .map(|ua| (ua, Desktop)),
    );
    // A crawler that puts an OS in its comment still names itself a bot.
    assert_eq!(
        ua_class("Mozilla/5.0 (compatible; Linux x86_64; AcmeBot/1.0; +https://example.com/bot)"),
        Bot
    );
    assert_eq!(ua_class(&android("Google Pixelbook Go", false)), Desktop);
}
