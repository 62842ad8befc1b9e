//! Hand-written test vectors, grouped by the signal they exercise. The UAs are written for this project from
//! the documented formats (research digests), not copied from the shared corpus. Each group says why.

use ringmark_classify::{Classifier, DeviceClass, IpRanges, Opener, Signals, classify};

use DeviceClass::*;

mod common;

use common::{check_uas as check, device};

/// Gmail, Yahoo, Seznam, Rambler, UkrNet proxies: machine openers with a client and no device (email-clients.md §2).
#[test]
fn mail_proxies_are_machine_with_client() {
    let cases = [
        (
            "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
            "Gmail",
        ),
        ("Mozilla/5.0 (via ggpht.com GoogleImageProxy)", "Gmail"),
        ("Firefox/11.0 (via ggpht.com GoogleImageProxy)", "Gmail"),
        (
            "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html",
            "Yahoo Mail",
        ),
        (
            "YahooMailProxy;%20https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html",
            "Yahoo Mail",
        ),
        ("Mozilla/5.0 SeznamEmailProxy/3.1.7", "Seznam Email"),
        (
            "RamblerMail/7.1 (incompatible; ImageProxy/7.1)",
            "Rambler Mail",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) Chrome/99.0 Safari/537.36 (via secureurl.fwdcdn.com - mail.ukr.net proxy)",
            "UkrNet Mail",
        ),
    ];
    for (ua, client) in cases {
        let c = classify(&Signals::from_user_agent(ua));
        assert_eq!(c.opener, Opener::Proxy, "{ua}");
        assert!(c.machine, "{ua}");
        assert_eq!(c.client, Some(client), "{ua}");
        assert!(c.proxy.is_some(), "{ua}");
        assert_eq!(c.device, Unknown, "{ua}");
    }
}

/// The truncated Gmail proxy UA (ESP payloads cut the "(via …)" part): `Gecko Firefox/` without `Gecko/<date>`.
#[test]
fn truncated_gmail_proxy_ua() {
    let c = classify(&Signals::from_user_agent(
        "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0",
    ));
    assert_eq!((c.client, c.opener), (Some("Gmail"), Opener::Proxy));
    // A real Firefox writes Gecko/20100101 and is a person on a desktop.
    let c = classify(&Signals::from_user_agent(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    ));
    assert_eq!(
        (c.device, c.opener, c.client),
        (Desktop, Opener::Person, None)
    );
}

/// Apple MPP (bare `Mozilla/5.0`) and Gmail prefetch are prefetches, not people.
#[test]
fn prefetchers() {
    for ua in ["Mozilla/5.0", " Mozilla/5.0 ", "mozilla/5.0"] {
        let c = classify(&Signals::from_user_agent(ua));
        assert_eq!(c.opener, Opener::Prefetch, "{ua:?}");
        assert_eq!(c.client, Some("Apple Mail"));
        assert_eq!(c.proxy, Some("Apple Mail Privacy Protection"));
    }
    let gmail = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/42.0.2311.135 Safari/537.36 Edge/12.246 Mozilla/5.0";
    let c = classify(&Signals::from_user_agent(gmail));
    assert_eq!(
        (c.opener, c.client, c.machine),
        (Opener::Prefetch, Some("Gmail"), true)
    );
    // The same Edge 12 UA without the glued-on "Mozilla/5.0" is a person.
    let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/42.0.2311.135 Safari/537.36 Edge/12.246";
    assert_eq!(
        classify(&Signals::from_user_agent(edge)).opener,
        Opener::Person
    );
    // "Mozilla/5.0 (…)" with anything more is not MPP.
    assert_ne!(
        classify(&Signals::from_user_agent("Mozilla/5.0 (X11; Linux x86_64)")).opener,
        Opener::Prefetch
    );
}

/// Superhuman passes the reader's UA through: proxy, but the device survives (email-clients.md §2.10).
#[test]
fn superhuman_keeps_device() {
    let mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/537.36 (KHTML, like Gecko) Superhuman/30.2.1 Chrome/120.0.0.0 Electron/28.1.0 Safari/537.36 (via SuperhumanProxy; hello@superhuman.com)";
    let c = classify(&Signals::from_user_agent(mac));
    assert_eq!(
        (c.device, c.opener, c.client, c.machine),
        (Desktop, Opener::Proxy, Some("Superhuman"), true)
    );
    let phone = "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 (via SuperhumanProxy; hello@superhuman.com)";
    assert_eq!(
        classify(&Signals::from_user_agent(phone)).device,
        Smartphone
    );
}

/// IP ranges: a request from a Google image-proxy range is Gmail even with a generic UA; Private Relay only
/// makes the bare UA a prefetch; Microsoft 365 ranges are scanners.
#[test]
fn ip_ranges_decide_machine_openers() {
    let ranges = IpRanges::parse(
        "66.102.0.0/20,google-image-proxy\n17.0.0.0/8,apple-private-relay\n132.245.0.0/16,microsoft-scanner\n10.9.0.0/16,scanner\n",
        None,
    )
    .unwrap();
    let cl = Classifier::with_ip_ranges(ranges);
    let firefox = "Mozilla/5.0 (Windows NT 10.0; rv:109.0) Gecko/20100101 Firefox/115.0";
    let mut s = Signals::from_user_agent(firefox);
    s.ip = "66.102.7.1".parse().ok();
    assert_eq!(
        (cl.classify(&s).client, cl.classify(&s).opener),
        (Some("Gmail"), Opener::Proxy)
    );
    s.ip = "132.245.1.2".parse().ok();
    assert_eq!(
        (cl.classify(&s).client, cl.classify(&s).opener),
        (Some("Outlook"), Opener::Scanner)
    );
    s.ip = "10.9.1.1".parse().ok();
    assert_eq!(cl.classify(&s).opener, Opener::Scanner);
    // Safari through Private Relay is still a person.
    let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
    let mut s = Signals::from_user_agent(safari);
    s.ip = "17.1.2.3".parse().ok();
    assert_eq!(
        (cl.classify(&s).opener, cl.classify(&s).device),
        (Opener::Person, Smartphone)
    );
    // An empty UA through Private Relay is MPP.
    let mut s = Signals::from_user_agent("");
    s.ip = "17.1.2.3".parse().ok();
    assert_eq!(cl.classify(&s).opener, Opener::Prefetch);
    // Without ranges the same generic request is a person.
    let mut s = Signals::from_user_agent(firefox);
    s.ip = "66.102.7.1".parse().ok();
    assert_eq!(Classifier::new().classify(&s).opener, Opener::Person);
}

/// Mail clients recognised from product tokens, with the device they imply.
#[test]
fn mail_clients_from_tokens() {
    let cases: &[(&str, &str, DeviceClass)] = &[
        (
            "Microsoft Office/16.0 (Microsoft Outlook 16.0.17029; Pro)",
            "Outlook",
            Desktop,
        ),
        (
            "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; WOW64; Trident/7.0; Microsoft Outlook 16.0.17029; ms-office; MSOffice 16)",
            "Outlook",
            Desktop,
        ),
        (
            "Mozilla/4.0 (compatible; ms-office; MSOffice 16)",
            "Outlook",
            Desktop,
        ),
        (
            "MacOutlook/16.80.23121017 (Intelx64 Mac OS X 14.2.1 (Build 23C71))",
            "Outlook",
            Desktop,
        ),
        (
            "Outlook-iOS/735.4027193.prod.iphone (4.2410.0)",
            "Outlook",
            Smartphone,
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0 OneOutlook/1.2024.411.100",
            "Outlook",
            Desktop,
        ),
        (
            "Outlook/16.78 CFNetwork/1474 Darwin/23.0.0 (x86_64)",
            "Outlook",
            Desktop,
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0 Thunderbird/115.10.1",
            "Thunderbird",
            Desktop,
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.0",
            "Thunderbird",
            Desktop,
        ),
        (
            "Mail/3774.500.171 CFNetwork/1494.0.7 Darwin/23.4.0 (x86_64) (MacBookPro18%2C3)",
            "Apple Mail",
            Desktop,
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 eM Client/9.2.2157.0",
            "eM Client",
            Desktop,
        ),
        ("eMClient/10.0.3530.0", "eM Client", Desktop),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Mailspring/1.13.3 Chrome/114.0.5735.289 Electron/25.8.4 Safari/537.36",
            "Mailspring",
            Desktop,
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Mailbird/3.0.18.0",
            "Mailbird",
            Desktop,
        ),
        ("The Bat! 10.5.2", "The Bat!", Desktop),
        ("WindowsMail/17.5.9600.20000", "Windows Mail", Desktop),
        (
            "Mozilla/4.0 (compatible; Lotus-Notes/9.0; Windows-NT)",
            "Lotus Notes",
            Desktop,
        ),
        (
            "NaverMailApp/3.0.1 (Android 13; SM-S911N)",
            "NAVER Mail",
            Smartphone,
        ),
        (
            "Android-Gmail/202404 (sw393dp; 440dpi) (pa TQ3A.230901.001)",
            "Gmail",
            Smartphone,
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/537.36 (KHTML, like Gecko) SparkDesktop/3.15.0 Chrome/120.0.0.0 Electron/28.0.0 Safari/537.36",
            "Spark",
            Desktop,
        ),
    ];
    for (ua, client, dev) in cases {
        let c = classify(&Signals::from_user_agent(ua));
        assert_eq!(c.client, Some(*client), "{ua}");
        assert_eq!(c.device, *dev, "{ua}");
        assert!(!c.machine, "{ua}");
    }
}

/// Android mail apps name themselves only in X-Requested-With; the device comes from the WebView UA.
#[test]
fn android_mail_apps_from_requested_with() {
    let webview = "Mozilla/5.0 (Linux; Android 14; SM-A546B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36";
    let tab = "Mozilla/5.0 (Linux; Android 13; SM-X710 Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Safari/537.36";
    for (pkg, client) in [
        ("com.samsung.android.email.provider", "Samsung Email"),
        ("de.gmx.mobile.android.mail", "GMX"),
        ("de.web.mobile.android.mail", "WEB.DE"),
        ("com.microsoft.office.outlook", "Outlook"),
        ("it.italiaonline.mail", "Libero Mail"),
    ] {
        let s = Signals::from_headers(webview, [("X-Requested-With", pkg)]);
        let c = classify(&s);
        assert_eq!(
            (c.client, c.device, c.machine),
            (Some(client), Smartphone, false),
            "{pkg}"
        );
        let s = Signals::from_headers(tab, [("x-requested-with", pkg)]);
        assert_eq!(classify(&s).device, Tablet, "{pkg} on a Galaxy Tab");
    }
    // CGI-style header names work too; unknown packages give no client.
    let s = Signals::from_headers(
        webview,
        [(
            "HTTP_X_REQUESTED_WITH",
            "com.samsung.android.email.provider",
        )],
    );
    assert_eq!(classify(&s).client, Some("Samsung Email"));
    let s = Signals::from_headers(webview, [("X-Requested-With", "com.example.reader")]);
    assert_eq!(classify(&s).client, None);
}

/// Apple Mail without MPP: WebKit with no Safari/Version token (uap-core#528).
#[test]
fn bare_webkit_is_apple_mail() {
    let mac =
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)";
    let c = classify(&Signals::from_user_agent(mac));
    assert_eq!((c.client, c.device), (Some("Apple Mail"), Desktop));
    let ios = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";
    let c = classify(&Signals::from_user_agent(ios));
    assert_eq!((c.client, c.device), (Some("Apple Mail"), Smartphone));
    // Safari itself is not Apple Mail; neither is an in-app WebView with its own token.
    let safari = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15";
    assert_eq!(classify(&Signals::from_user_agent(safari)).client, None);
    let fb = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/460.0]";
    assert_eq!(classify(&Signals::from_user_agent(fb)).client, None);
}

/// Tablets: Samsung SM-T/SM-P/SM-X, Lenovo TB-, Huawei codes, Kindle/KF*, iPad, `Tablet` token, Android 3.x,
/// "Pad"/"Tab" in the model, and Android browser UAs without `Mobile`.
#[test]
fn tablets() {
    check(
        "tablets",
        &[
            (
                "Mozilla/5.0 (Linux; Android 13; SM-T220) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
                Tablet,
            ),
            (
                "Mozilla/5.0 (Linux; Android 12; SM-P615) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
                Tablet,
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; SM-X910) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
                Tablet,
            ),
            (
                "Mozilla/5.0 (Linux; Android 11; TB-J606F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
                Tablet,
            ),
            (
                "Mozilla/5.0 (Linux; Android 10; AGS3-L09) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/110.0.0.0 Mobile Safari/537.36",
                Tablet,
            ),
            (
                "Mozilla/5.0 (Linux; Android 9; KFMAWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/120.3.1 like Chrome/120.0.0.0 Safari/537.36",
                Tablet,
            ),
            (
                "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
                Tablet,
            ),
            (
                "Mozilla/5.0 (Android 14; Tablet; rv:125.0) Gecko/125.0 Firefox/125.0",
                Tablet,
            ),
            (
                "Mozilla/5.0 (Linux; U; Android 3.2; en-us; Xoom Build/HTK75D) AppleWebKit/534.13 (KHTML, like Gecko) Version/4.0 Safari/534.13",
                Tablet,
            ),
            (
                "Mozilla/5.0 (Linux; Android 13; Xiaomi Pad 6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
                Tablet,
            ),
            (
                "Mozilla/5.0 (Linux; Android 12; Tab M10 HD) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
                Tablet,
            ),
            (
                "Mozilla/5.0 (Linux; Android 13; Nova Z 10) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
                Tablet,
            ),
            (
                "Mozilla/5.0 (Linux; Android 8.1.0; BQ-7040G) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/90.0.0.0 Mobile Safari/537.36",
                Tablet,
            ),
            (
                "Mozilla/5.0 (Linux; Android 11; MID-1070) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/90.0.0.0 Mobile Safari/537.36",
                Tablet,
            ),
            (
                "Mozilla/5.0 (Linux; arm_64; Android 12; Qwerty 10) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 YaSearchBrowser/24.10/apad Mobile Safari/537.36",
                Tablet,
            ),
            (
                "Dalvik/2.1.0 (Linux; U; Android 13; SM-T505 Build/TP1A.220624.014)",
                Tablet,
            ),
        ],
    );
}

/// Smartphones: iPhone, Android with Mobile, phone model codes without Mobile, Windows Phone, BlackBerry.
#[test]
fn smartphones() {
    check(
        "smartphones",
        &[
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
                Smartphone,
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
                Smartphone,
            ),
            (
                "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
                Smartphone,
            ),
            (
                "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0",
                Smartphone,
            ),
            (
                "Dalvik/2.1.0 (Linux; U; Android 12; moto g(60) Build/S2RI32.32-20-9)",
                Smartphone,
            ),
            (
                "Mozilla/5.0 (Linux; Android 13; SM-S908B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
                Smartphone,
            ),
            (
                "Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0 Mobile Safari/537.36 Edge/15.15063",
                Smartphone,
            ),
            (
                "Mozilla/5.0 (BB10; Touch) AppleWebKit/537.35+ (KHTML, like Gecko) Version/10.3.3.2205 Mobile Safari/537.35+",
                Smartphone,
            ),
            (
                "BlackBerry9700/5.0.0.351 Profile/MIDP-2.1 Configuration/CLDC-1.1 VendorID/123",
                Smartphone,
            ),
            (
                "Mozilla/5.0 (Linux; U; Android 13; en-us; Redmi Note 12 Build/TKQ1.221114.001) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/112.0.0.0 Mobile Safari/537.36 XiaoMi/MiuiBrowser/14.0",
                Smartphone,
            ),
            (
                "UCWEB/2.0 (MIDP-2.0; U; Adr 11; en-US; Redmi_Note_9) U2/1.0.0 UCBrowser/13.0.0.1000 U2/1.0.0 Mobile",
                Smartphone,
            ),
            (
                "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
                Smartphone,
            ),
        ],
    );
}

/// Client hints decide reduced Android UAs (`Android 10; K`): `?0` is a tablet, `?1` a phone; a model hint is
/// checked against the model conventions.
#[test]
fn client_hints() {
    let reduced = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
    let h = |m: &'static str, p: &'static str, model: &'static str| {
        classify(&Signals::from_headers(
            reduced,
            [
                ("Sec-CH-UA-Mobile", m),
                ("Sec-CH-UA-Platform", p),
                ("Sec-CH-UA-Model", model),
            ],
        ))
        .device
    };
    assert_eq!(h("?0", "\"Android\"", "\"\""), Tablet);
    assert_eq!(h("?1", "\"Android\"", "\"\""), Smartphone);
    assert_eq!(h("?0", "\"Android\"", "\"SM-X200\""), Tablet);
    assert_eq!(
        h("?1", "\"Android\"", "\"SM-X200\""),
        Tablet,
        "the model outranks the mobile bit"
    );
    assert_eq!(h("?0", "\"Android\"", "\"AFTKA\""), Tv);
    assert_eq!(h("?0", "\"Android\"", "\"55U8K\""), Tv);
    // Hints alone, on a UA with no platform.
    let s = Signals::from_headers(
        "SomeApp/1.0",
        [
            ("sec-ch-ua-platform", "\"Windows\""),
            ("sec-ch-ua-mobile", "?0"),
        ],
    );
    assert_eq!(classify(&s).device, Desktop);
}

/// TVs and set-top boxes: HbbTV, Tizen TV, webOS TV, BRAVIA, Android TV, Fire TV `AFT*`, screen-size model codes.
#[test]
fn tvs() {
    check(
        "tvs",
        &[
            (
                "HbbTV/1.6.1 (+DRM; Vendor; TV2024; 1.0.0; ;) CE-HTML/1.0",
                Tv,
            ),
            (
                "Mozilla/5.0 (SMART-TV; LINUX; Tizen 7.0) AppleWebKit/537.36 (KHTML, like Gecko) 94.0.4606.31/7.0 TV Safari/537.36",
                Tv,
            ),
            (
                "Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/94.0.4606.128 Safari/537.36 WebAppManager",
                Tv,
            ),
            (
                "Mozilla/5.0 (Linux; Android 10; BRAVIA 4K VH2 Build/QTG3.200305.006.S292) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
                Tv,
            ),
            (
                "Mozilla/5.0 (Linux; Android 9; AFTMM Build/PS7633) AppleWebKit/537.36 (KHTML, like Gecko) Silk/120.3.2 like Chrome/120.0.0.0 Safari/537.36",
                Tv,
            ),
            (
                "Mozilla/5.0 (Linux; Android 11; 50PUS8007 Build/RTT2.220118.001) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/110.0 Safari/537.36",
                Tv,
            ),
            (
                "Mozilla/5.0 (Linux; Android 12; Android TV Box Build/SP1A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/110.0 Safari/537.36",
                Tv,
            ),
            (
                "Mozilla/5.0 (X11; Linux armv7l) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/38.0 Safari/537.36 CrKey/1.36.159268",
                Tv,
            ),
            ("Roku/DVP-12.5 (12.5.0.4178-88)", Tv),
            (
                "Mozilla/5.0 (Linux; Android 11; MiTV-MOOQ0 Build/RTT) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/110.0 Mobile Safari/537.36",
                Tv,
            ),
            (
                "Mozilla/5.0 (Linux; Android 9; 32HD5000 Build/PPR1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/90.0 Safari/537.36",
                Tv,
            ),
            (
                "Mozilla/5.0 (Linux mipsel; U; HbbTV/1.1.1 (; Vendor; Model; 1.0; ;) ; en) AppleWebKit/534.0",
                Tv,
            ),
        ],
    );
}

/// macOS `CFNetwork … Darwin … (x86_64)` app UAs are desktops; iOS app UAs (no architecture) are not.
#[test]
fn cfnetwork_apps() {
    check(
        "cfnetwork",
        &[
            (
                "Podcasts/1.0 CFNetwork/1494.0.7 Darwin/23.4.0 (x86_64)",
                Desktop,
            ),
            (
                "SomeApp/2.1 CFNetwork/1410.0.3 Darwin/22.6.0 (arm64) (MacBookAir10%2C1)",
                Desktop,
            ),
            ("SomeApp/2.1 CFNetwork/1494.0.7 Darwin/23.4.0", Smartphone),
            (
                "SomeApp/2.1 CFNetwork/1494.0.7 Darwin/23.4.0 (iPad13,4)",
                Tablet,
            ),
        ],
    );
}

/// Feature phones: KaiOS, MIDP/CLDC, WAP, i-mode style carriers.
#[test]
fn featurephones() {
    check(
        "featurephones",
        &[
            (
                "Mozilla/5.0 (Mobile; Nokia_8110_4G; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.5",
                Featurephone,
            ),
            (
                "Mozilla/5.0 (Mobile; LYF/F300B/LYF-F300B-001; Android; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.5",
                Featurephone,
            ),
            (
                "Nokia6300/2.0 (07.21) Profile/MIDP-2.0 Configuration/CLDC-1.1",
                Featurephone,
            ),
            (
                "SAMSUNG-SGH-E250/1.0 Profile/MIDP-2.0 Configuration/CLDC-1.1 UP.Browser/6.2.3.3.c.1.101 (GUI) MMP/2.0",
                Featurephone,
            ),
            ("DoCoMo/2.0 N905i(c100;TB;W24H16)", Featurephone),
            (
                "KDDI-CA3A UP.Browser/6.2.0.13.1.5 (GUI) MMP/2.0",
                Featurephone,
            ),
        ],
    );
}

/// Consoles and other device kinds.
#[test]
fn consoles_and_other() {
    check(
        "consoles/other",
        &[
            (
                "Mozilla/5.0 (PlayStation; PlayStation 5/6.50) AppleWebKit/605.1.15 (KHTML, like Gecko)",
                Console,
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox Series X) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edge/20.02",
                Console,
            ),
            (
                "Mozilla/5.0 (Nintendo Switch; WifiWebAuthApplet) AppleWebKit/606.4 (KHTML, like Gecko) NF/6.0.1.15.4 NintendoBrowser/5.1.0.20389",
                Console,
            ),
            (
                "Mozilla/5.0 (Linux; Android 11; Galaxy Watch5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/100.0 Mobile Safari/537.36",
                Other,
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/110.0 Safari/537.36 Tesla/2024.14.3",
                Other,
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64; Quest 3) AppleWebKit/537.36 (KHTML, like Gecko) OculusBrowser/33.0 Chrome/122.0 VR Safari/537.36",
                Other,
            ),
            (
                "Mozilla/5.0 (iPod touch; CPU iPhone OS 15_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6 Mobile/15E148 Safari/604.1",
                Other,
            ),
        ],
    );
}

/// Desktops, including old Windows and Linux desktop browsers; `Tablet PC 2.0` in MSIE UAs is not a tablet.
#[test]
fn desktops() {
    check(
        "desktops",
        &[
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
                Desktop,
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
                Desktop,
            ),
            (
                "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
                Desktop,
            ),
            (
                "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
                Desktop,
            ),
            (
                "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0; Tablet PC 2.0)",
                Desktop,
            ),
            ("Mozilla/4.0 (compatible; MSIE 6.0; Windows 98)", Desktop),
            (
                "Microsoft Office Word/16.84 (Mac OS/14.4; Desktop; en-US; AppStore; Apple/Mac15,3)",
                Desktop,
            ),
        ],
    );
    // The OS: ChromeOS is the `CrOS ` platform token, not the "cros" inside "Microsoft".
    for (ua, os) in [
        (
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
            "ChromeOS",
        ),
        (
            "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)",
            "Windows",
        ),
        (
            "Microsoft Office Word/16.84 (Mac OS/14.4; Desktop; en-US; AppStore; Apple/Mac15,3)",
            "macOS",
        ),
    ] {
        assert_eq!(classify(&Signals::from_user_agent(ua)).os, Some(os), "{ua}");
    }
    // FirePHP, a Firefox extension, appends `FirePHP/x` to a person's UA: not the PHP runtime.
    assert_eq!(
        device("Mozilla/5.0 (Windows NT 6.1; rv:20.0) Gecko/20100101 Firefox/20.0 FirePHP/0.7.2"),
        Desktop
    );
    // Nor does that "cros" make an unknown program a desktop.
    assert_eq!(
        device("Mozilla/5.0 (Microsoft Example Agent) Tool/1.0"),
        Bot
    );
}

/// Bots: keywords, contact URLs/emails, `compatible;` non-browsers, products built on libraries, and non-browser
/// UAs with no platform; bare libraries are machines of class "other".
#[test]
fn bots_are_crawlers() {
    // Every UA here is a machine opener (a crawler), of the device class given.
    let crawler = |ua: &str, want: DeviceClass| {
        let c = classify(&Signals::from_user_agent(ua));
        assert_eq!(
            (c.device, c.opener, c.machine),
            (want, Opener::Crawler, true),
            "{ua}"
        );
    };
    let bots = [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; ExampleFetcher/1.0)",
        "munin/2.0.75 (libwww-perl/6.68)",
        "python-requests/2.31.0 ExampleCrawler/1.0",
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36 (compatible; Googlebot/2.1)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36",
        "UptimeMonitor/3.0 (contact: ops@example.org)",
        "SomeTool/1.0 (+https://example.com/tool)",
        "acme-link-checker",
        "NoPlatformProgram/4.2",
    ];
    for ua in bots {
        crawler(ua, Bot);
    }
    // Bare HTTP libraries are machines but not agents: device "other" (woothee's `misc`, Matomo's `library`).
    for ua in [
        "curl/8.5.0",
        "python-requests/2.31.0",
        "Go-http-client/2.0",
        "Wget/1.21.4",
        "PHP/8.2.1",
    ] {
        crawler(ua, Other);
    }
    // Feed readers poll on a timer (machine openers) on the device their platform names; readers that name no
    // platform are "other". Aggregators that report subscribers, a crawler word, or only a contact URL are bots.
    for (ua, want) in [
        (
            "AcmeReader (macOS; RSS Reader; https://example.com/reader/)",
            Desktop,
        ),
        (
            "FeedKeeper/2.1 (http://example.com/; Microsoft Windows 10)",
            Desktop,
        ),
        ("Acme-RSS/0.9 (KDE; syndication openSUSE)", Desktop),
        ("RssTicker/1.2 (for ExampleBrowser 3)", Other),
        ("ExampleSyndication/42.1", Other),
        ("ExampleFeeds - 12 subscribers", Bot),
        (
            "Mozilla/5.0 (compatible; example-reader.com; 3 subscribers; feed-id=1)",
            Bot,
        ),
        ("AcmeRSS/0.7 (+http://example.org/acmerss)", Bot),
        ("AcmeFeedFetcher/1.0", Bot),
    ] {
        crawler(ua, want);
    }
    // A feed word inside an Android app's token is no reader: that UA's own signals decide.
    let infeed = "Mozilla/5.0 (Linux; Android 12; Pixel 6) AppleWebKit/537.36 (KHTML, like Gecko; ExampleAdsInfeed) Chrome/120.0 Mobile Safari/537.36";
    assert_eq!(device(infeed), Bot);
    // Words that merely contain "bot" in a device name are not bots.
    let cubot = "Mozilla/5.0 (Linux; Android 12; CUBOT KINGKONG 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36";
    assert_eq!(device(cubot), Smartphone);
}

/// Robustness: odd input never panics and gives something sensible.
#[test]
fn odd_inputs() {
    assert_eq!(classify(&Signals::from_user_agent("")).device, Unknown);
    assert_eq!(
        classify(&Signals::from_user_agent("")).opener,
        Opener::Person
    );
    let long = "Mozilla/5.0 (Linux; Android 14; SM-T970) ".repeat(40);
    assert_eq!(
        device(&long),
        Tablet,
        "UAs over the inline buffer use the heap path"
    );
    let _ = classify(&Signals::from_user_agent("Android"));
    let _ = classify(&Signals::from_user_agent("Android ;;;; )))((("));
    let _ = classify(&Signals::from_user_agent(
        "\u{feff}Mozilla/5.0 (ïPhone) Ünïcode",
    ));
}

/// `DeviceClass` names round-trip, and JSON uses lowercase names.
#[test]
fn names_round_trip() {
    for c in DeviceClass::ALL {
        assert_eq!(c.as_str().parse::<DeviceClass>().unwrap(), c);
    }
    assert!("phablet".parse::<DeviceClass>().is_err());
    let c = classify(&Signals::from_user_agent("Mozilla/5.0"));
    let json = serde_json::to_string(&c).unwrap();
    assert!(
        json.contains("\"device\":\"unknown\"") && json.contains("\"opener\":\"prefetch\""),
        "{json}"
    );
}
