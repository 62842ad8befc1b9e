//! The opener decision on UAs from sources the rules were not written from (issue 15): a person judged a machine
//! gets the fallback number and their call cannot be attributed; a machine judged a person can take a number.
//! Each group is one general signal, with hand-written UAs in the documented shape of each family (invented
//! names, versions and addresses), and the look-alikes on the other side of the line that must stay where they
//! are.

use ringmark_classify::{Classification, DeviceClass, Opener, Signals, classify};

use DeviceClass::*;

mod common;

use common::{assert_group, check_uas, device};

fn ua(ua: &str) -> Classification {
    classify(&Signals::from_user_agent(ua))
}

/// Fails listing every UA whose (device, machine) is not the wanted one.
fn check(group: &str, cases: &[(&str, DeviceClass, bool)]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|&(s, device, machine)| {
            let c = ua(s);
            (c.device != device || c.machine != machine).then(|| {
                format!(
                    "  {s:?}: want {device} machine={machine}, got {} machine={}",
                    c.device, c.machine
                )
            })
        })
        .collect();
    assert_group(group, cases.len(), &failures);
}

const PERSON: bool = false;
const MACHINE: bool = true;

/// An e-mail address appended after a browser's own tokens, outside any comment, is a tag on a person's browser
/// (bug-bounty programmes ask researchers for one), with a space, a `+` or nothing between, also when the
/// spaces are squeezed out. A crawler's contact address sits in its comment, follows a `;` list it appends
/// about itself, or stands beside its own product name.
#[test]
fn an_address_after_a_browser_is_a_person() {
    check(
        "browser tags",
        &[
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0 + hunter7@bugbounty.example",
                Desktop,
                PERSON,
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 hunter7@bugbounty.example",
                Desktop,
                PERSON,
            ),
            (
                "Mozilla/5.0(X11;Linuxx86_64)AppleWebKit/537.36(KHTML,likeGecko)Chrome/126.0.0.0Safari/537.36+hunter7@bugbounty.example",
                Desktop,
                PERSON,
            ),
            (
                "hunter7@bugbounty.example Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:128.0) Gecko/20100101 Firefox/128.0",
                Desktop,
                PERSON,
            ),
            (
                "Mozilla/5.0 (compatible; ExampleCrawler/2.0; +crawler@search.example)",
                Bot,
                MACHINE,
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36; +harvest@social.example",
                Bot,
                MACHINE,
            ),
            ("ExampleFetcher/1.3 ops@fetch.example", Bot, MACHINE),
        ],
    );
}

/// `bot` ends a word as a word is written: `bot`, `Bot` or `BOT`. A random id glued onto a person's UA mixes
/// case arbitrarily (`…/Kq2bOt7X`), which is no name.
#[test]
fn bot_is_a_word_not_a_random_token() {
    check(
        "bot word shape",
        &[
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36/Kq2bOt7X-19",
                Desktop,
                PERSON,
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36/uBot4QzR-31",
                Desktop,
                PERSON,
            ),
            ("ExampleBot/1.0", Bot, MACHINE),
            ("ExampleBot2/1.0", Bot, MACHINE),
            ("EXAMPLEBOT/1.0", Bot, MACHINE),
            ("Mozilla/5.0 (compatible; examplebot/3.1)", Bot, MACHINE),
        ],
    );
}

/// Old and rare desktop platforms are desktops, not programs without a platform: Windows 3.x, 68K Macs, Unix
/// workstations, RISC OS, CP/M, a distribution in place of `Linux`; and Microsoft's desktop messaging clients.
#[test]
fn old_and_rare_desktop_platforms() {
    check(
        "rare desktops",
        &[
            ("Mozilla/2.0 (compatible; MSIE 3.0; Win16)", Desktop, PERSON),
            ("ExampleBrowser/1.1 (Macintosh; 68K)", Desktop, PERSON),
            (
                "Mozilla/5.0 (UNIX BSD/SYSV system) AppleWebKit/538.1 (KHTML, like Gecko) ExampleZilla/1.0 Safari/538.1",
                Desktop,
                PERSON,
            ),
            (
                "Mozilla/1.10 [en] (Compatible; RISC OS 3.11; ExampleBrowse 2.0)",
                Desktop,
                PERSON,
            ),
            ("Mozilla/3.0 Example; U; CP/M86; en-US", Desktop, PERSON),
            (
                "Mozilla/5.0 (X11; Fedora; rv:99.0) Gecko/20100101 Firefox/99.0",
                Desktop,
                PERSON,
            ),
            (
                "Mozilla/5.0 (illumos; rv:91.0) Gecko/20100101 Firefox/91.0",
                Desktop,
                PERSON,
            ),
            ("OC/16.0.1234.1000 (Skype for Business)", Desktop, PERSON),
            ("Microsoft Office/16.0", Desktop, PERSON),
            (
                "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Lync 16.0.1234; Pro)",
                Desktop,
                PERSON,
            ),
            // A program on the same platforms still names itself.
            (
                "Mozilla/5.0 (compatible; ExampleSpider/1.0; UNIX)",
                Bot,
                MACHINE,
            ),
        ],
    );
}

/// A phone or tablet app whose name merely contains a program word: an Android WebView or an iOS hardware
/// identifier (only apps write those), and the word only inside the app's longer name. Crawlers copying a
/// phone browser's UA, or naming themselves as a word of their own or with a strong word, stay machines.
#[test]
fn app_names_on_handhelds_are_people() {
    check(
        "app names",
        &[
            (
                "Mozilla/5.0 (Linux; Android 14; SM-A556B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.0.0 Mobile Safari/537.36 DocScanner/4.2.1",
                Smartphone,
                PERSON,
            ),
            (
                "ExampleNews/2.3.0 (iPad7,5; iOS 16.1) ExampleMediaKit/1.0 ExampleHTTPClient/5.0.1",
                Tablet,
                PERSON,
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1 ExamplePreview/1.0",
                Bot,
                MACHINE,
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; SM-A556B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.0.0 Mobile Safari/537.36 Examplespider/1.0",
                Bot,
                MACHINE,
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; SM-A556B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.0.0 Mobile Safari/537.36 Scanner/1.0",
                Bot,
                MACHINE,
            ),
        ],
    );
}

/// Monitoring, performance and SEO services run a real browser and add only their name, after the UA or in its
/// comment; and a UA left as an unfilled template (`{}` as a comment field, `[…_VERSION]`) was assembled by a
/// program. An app's JSON blob with an empty object is not a template.
#[test]
fn programs_in_a_browsers_guise_are_machines() {
    check(
        "browser guise",
        &[
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 by Siteimprove",
                Bot,
                MACHINE,
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64; Catchpoint) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
                Bot,
                MACHINE,
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 PTST/240101.000000",
                Bot,
                MACHINE,
            ),
            (
                "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0; PTST 3.1)",
                Bot,
                MACHINE,
            ),
            (
                "Mozilla/5.0 (Linux x64) node.js/20.1.0 v8/11.3.244.8-node.11",
                Bot,
                MACHINE,
            ),
            (
                "example-runner 2.1.0 (2-1-stable; go1.22.3; linux/amd64)",
                Bot,
                MACHINE,
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko; Google Page Speed Insights) Chrome/120.0.0.0 Safari/537.36",
                Bot,
                MACHINE,
            ),
            (
                "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; {}; SV1)",
                Bot,
                MACHINE,
            ),
            (
                "Mozilla/5.0 (Linux; Android 9; Pixel 3) AppleWebKit/[WEBKIT_VERSION] (KHTML, like Gecko) Chrome/[CHROME_VERSION] Mobile Safari/[WEBKIT_VERSION]",
                Bot,
                MACHINE,
            ),
            (
                "Mozilla/5.0 (Linux; Android 12; ELE-L29 Build/HUAWEIELE-L29; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.0.0 Mobile Safari/537.36 examplegame/1.0 ({\"extra\":\"{}\"})",
                Smartphone,
                PERSON,
            ),
        ],
    );
}

/// Tablet evidence beyond `Tablet` as a word: a versioned capability token (`Tablet2.0`), and Samsung Internet on a desktop Linux platform (a Galaxy device in DeX mode). Samsung
/// Internet on Tizen phones says `Mobile` and stays a phone.
#[test]
fn tablet_evidence_without_mobile_tokens() {
    check_uas(
        "tablet evidence",
        &[
            (
                "Lenovo TB-X306F (compatible; Tablet2.0) ExampleReader 3.1 / Android 30",
                Tablet,
            ),
            (
                "ExampleNews 3.1 (compatible; Smartphone2.0) / Android 30",
                Smartphone,
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Safari/537.36",
                Tablet,
            ),
            (
                "Mozilla/5.0 (Linux; Tizen 3.0; SAMSUNG SM-Z400F) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/2.0 Chrome/47.0.2526.69 Mobile Safari/537.36",
                Smartphone,
            ),
        ],
    );
}

/// A library written in front of a borrowed browser UA is the library: a machine of class `other`.
#[test]
fn a_library_before_a_browser_ua_is_the_library() {
    let c = ua(
        "hackney/1.20.1, Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    );
    assert_eq!((c.device, c.opener), (Other, Opener::Crawler));
}

/// Devices that are neither phones, tablets nor desktops, named by their own agent token or product line:
/// set-top browser engines (Ekioh, WPE as a word), Tesla's in-car browser, Samsung's Family Hub refrigerators,
/// e-ink readers (Kobo's `(Kobo Touch)`, Tolino's readers but not its `tolino tab` tablets).
#[test]
fn devices_named_by_agent_token_or_product_line() {
    check_uas(
        "agent tokens",
        &[
            (
                "Mozilla/5.0 (Linux; U; Linux i686; Example MediaPlayer 1.0) AppleWebKit/537.75 (KHTML, like Gecko) Ekioh/4.0.1 Safari/537.75",
                Tv,
            ),
            (
                "Mozilla/5.0 (Linux; x86_64 GNU/Linux) AppleWebKit/605.1 (KHTML, like Gecko) Version/15.0 Safari/605.1 WPE",
                Tv,
            ),
            (
                "Mozilla/5.0 (X11; GNU/Linux) AppleWebKit/605.1 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/605.1 Tesla QtCarBrowser",
                Other,
            ),
            (
                "Mozilla/5.0 (Linux; Tizen 6.0; SAMSUNG Family Hub 6.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/76.0.3809.146 Safari/537.36",
                Other,
            ),
            (
                "Mozilla/5.0 (Linux; U; Android 4.0; en-us;) AppleWebKit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30 (Kobo Touch)",
                Other,
            ),
            (
                "Mozilla/5.0 (Linux; Android 8.1.0; de-; tolino page 2/16.0.1) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/61.0.3163.98 Mobile Safari/537.36",
                Other,
            ),
            (
                "Mozilla/5.0 (Linux; Android 4.2.2; tolino tab 8 Build/JDQ39) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/34.0.1847.114 Safari/537.36",
                Tablet,
            ),
        ],
    );
}

/// Client hints beyond Mobile/Platform/Model: the browser's `Sec-CH-UA-Mobile: ?0` on an Android phone model
/// without `Mobile` (DeX or desktop mode: a large screen), `Sec-CH-UA-Form-Factors`, and a `Sec-CH-UA` brand
/// list naming a headless browser behind a normal-looking UA.
#[test]
fn client_hints_beyond_mobile_platform_model() {
    let phone = "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
    let with = |headers: &[(&'static str, &'static str)]| {
        classify(&Signals::from_headers(phone, headers.iter().copied()))
    };
    // No hint: the phone's model code says phone.
    assert_eq!(device(phone), Smartphone);
    assert_eq!(with(&[("Sec-CH-UA-Mobile", "?0")]).device, Tablet);
    assert_eq!(with(&[("Sec-CH-UA-Mobile", "?1")]).device, Smartphone);

    let generic = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36";
    for (factors, want) in [
        ("\"Tablet\"", Tablet),
        ("\"XR\"", Other),
        ("\"EInk\", \"Tablet\"", Other),
        ("\"Automotive\"", Other),
        ("\"Watch\"", Other),
        ("\"Mobile\"", Smartphone),
    ] {
        let s = Signals::from_headers(generic, [("Sec-CH-UA-Form-Factors", factors)]);
        assert_eq!(classify(&s).device, want, "{factors}");
    }

    let desktop = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
    let headless = Signals::from_headers(
        desktop,
        [(
            "Sec-CH-UA",
            "\"Chromium\";v=\"124\", \"HeadlessChrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"",
        )],
    );
    let c = classify(&headless);
    assert_eq!(
        (c.device, c.opener, c.machine),
        (Bot, Opener::Crawler, true)
    );
    let chrome = Signals::from_headers(
        desktop,
        [(
            "Sec-CH-UA",
            "\"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"",
        )],
    );
    let c = classify(&chrome);
    assert_eq!((c.device, c.machine), (Desktop, false));
}

/// Mail clients named by their product token: Icedove, Debian's rebuild of Thunderbird; and Superhuman's
/// proxy, which passes the reader's UA through: the device survives and the opener is a proxy, never a crawler.
#[test]
fn mail_client_names_and_superhuman_device() {
    let c = ua("Mozilla/5.0 (X11; Linux x86_64; rv:45.0) Gecko/20100101 Icedove/45.8.0");
    assert_eq!(
        (c.client, c.device, c.machine),
        (Some("Icedove"), Desktop, false)
    );
    for (reader, device) in [
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Superhuman/26.0.1 Chrome/120.0.0.0 Electron/28.0.0 Safari/537.36",
            Desktop,
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
            Smartphone,
        ),
    ] {
        let c = ua(&format!(
            "{reader} (via SuperhumanProxy; hello@superhuman.com)"
        ));
        assert_eq!(
            (c.client, c.device, c.opener),
            (Some("Superhuman"), device, Opener::Proxy),
            "{reader}"
        );
    }
}
