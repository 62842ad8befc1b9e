//! The device-model table in the pipeline: which answers it settles (an Android phone/tablet/TV call) and
//! which it leaves alone (explicit tokens, bots, proxies). The UAs are invented around model codes the shipped
//! table lists; each case fails without the table, so it tests the table path and not the rules.

use ringmark_classify::DeviceClass::{self, Bot, Other, Smartphone, Tablet, Tv, Unknown};
use ringmark_classify::{Classifier, DeviceModels, Signals};
use std::sync::LazyLock;

/// The classifier with the shipped table, parsed once for the whole file.
fn shipped() -> &'static Classifier {
    static SHIPPED: LazyLock<Classifier> = LazyLock::new(|| {
        let text = include_str!("../../../data/device-models/device-models.tsv");
        Classifier::new()
            .with_device_models(DeviceModels::parse(text).expect("the shipped table parses"))
    });
    &SHIPPED
}

fn android(model: &str, mobile: bool) -> String {
    let mobile = if mobile { "Mobile " } else { "" };
    format!(
        "Mozilla/5.0 (Linux; Android 10; {model}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 {mobile}Safari/537.36"
    )
}

/// (UA, headers) → (rules alone, rules + table).
fn both(ua: &str, headers: &[(&str, &str)]) -> (DeviceClass, DeviceClass) {
    let s = Signals::from_headers(ua, headers.iter().copied());
    (
        Classifier::new().classify(&s).device,
        shipped().classify(&s).device,
    )
}

#[test]
fn white_label_tablets_that_say_mobile_are_tablets() {
    // Their Chrome lays pages out at phone width and says Mobile; only the model code says tablet.
    for model in [
        "Sencor_Element 9.7V2",
        "Navon Platinum 10 3G_V2",
        "Vivax_TPC 806_3G",
        "Winnovo750P",
    ] {
        assert_eq!(
            both(&android(model, true), &[]),
            (Smartphone, Tablet),
            "{model}"
        );
    }
}

#[test]
fn boxes_that_omit_mobile_are_tvs() {
    for model in ["Harper_ABX-110", "AMIGO7XSCB"] {
        assert_eq!(both(&android(model, false), &[]), (Tablet, Tv), "{model}");
    }
}

#[test]
fn a_reduced_ua_is_settled_by_the_model_hint() {
    // Chrome's reduced UA says `Android 10; K`; the model travels in Sec-CH-UA-Model.
    let ua = android("K", true);
    let hints = [
        ("Sec-CH-UA-Model", "\"Winnovo750P\""),
        ("Sec-CH-UA-Mobile", "?1"),
    ];
    assert_eq!(both(&ua, &hints), (Smartphone, Tablet));
}

#[test]
fn a_mail_app_on_a_white_label_tablet_keeps_the_tablet() {
    let ua = android("Sencor_Element 9.7V2; wv", true);
    let app = [("X-Requested-With", "com.samsung.android.email.provider")];
    let c = shipped().classify(&Signals::from_headers(&ua, app.iter().copied()));
    assert_eq!((c.client, c.device), (Some("Samsung Email"), Tablet));
}

#[test]
fn explicit_tokens_bots_and_proxies_are_not_overridden() {
    // The table only settles a phone/tablet/TV answer. A listed phone code inside a watch, a crawler or an
    // image proxy's string keeps the rules' answer.
    let watch = android("Pixel 7", true).replace("Chrome/", "Watch Chrome/");
    assert_eq!(both(&watch, &[]), (Other, Other));
    let bot = format!(
        "{} (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        android("Pixel 7", true)
    );
    assert_eq!(both(&bot, &[]), (Bot, Bot));
    let proxy = format!(
        "{} (via ggpht.com GoogleImageProxy)",
        android("Sencor_Element 9.7V2", true)
    );
    assert_eq!(both(&proxy, &[]), (Unknown, Unknown));
    // Not Android: the model slot of another platform is not looked up.
    let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";
    assert_eq!(
        both(iphone, &[("Sec-CH-UA-Model", "\"Harper_ABX-110\"")]),
        (Smartphone, Smartphone)
    );
}

#[test]
fn an_operator_table_corrects_a_device_without_a_rebuild() {
    // The use the format is for: an operator lists a device their logs show misclassified.
    let ua = android("ACME QX-700", true);
    let fixed =
        Classifier::new().with_device_models(DeviceModels::parse("acme qx-700\ttablet\n").unwrap());
    assert_eq!(
        Classifier::new()
            .classify(&Signals::from_user_agent(&ua))
            .device,
        Smartphone
    );
    assert_eq!(
        fixed.classify(&Signals::from_user_agent(&ua)).device,
        Tablet
    );
}
