//! ringmark-classify for the Node side-by-side benchmark: the device class as a small integer (no JS object),
//! and the whole classification as JSON (to measure the cost of handing an object to JS).

use ringmark_classify::{Classifier, DeviceClass, DeviceModels, Signals, classify};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    /// The classifier with the device-model table `load_device_models` installed (what the Worker runs).
    static WITH_TABLE: RefCell<Classifier> = RefCell::default();
}

/// Parses a device-model table (the bytes of `data/device-models/device-models.tsv`, as the Worker passes
/// them) for `device_class_with_table`; returns how many codes it holds (0 on malformed data).
#[wasm_bindgen]
pub fn load_device_models(text: &[u8]) -> u32 {
    let text = std::str::from_utf8(text).unwrap_or_default();
    let models = DeviceModels::parse(text).unwrap_or_default();
    let n = models.len() as u32;
    WITH_TABLE.with(|c| *c.borrow_mut() = Classifier::new().with_device_models(models));
    n
}

/// As `device_class`, with the device-model table loaded.
#[wasm_bindgen]
pub fn device_class_with_table(ua: &str) -> u8 {
    let d = WITH_TABLE.with(|c| c.borrow().classify(&Signals::from_user_agent(ua)).device);
    DeviceClass::ALL.iter().position(|c| *c == d).unwrap_or(8) as u8
}

/// The device class of `ua` as its index in `DeviceClass::ALL` (0 smartphone … 8 unknown).
#[wasm_bindgen]
pub fn device_class(ua: &str) -> u8 {
    let d = classify(&Signals::from_user_agent(ua)).device;
    DeviceClass::ALL.iter().position(|c| *c == d).unwrap_or(8) as u8
}

/// The whole classification as a JSON string (the JS side parses it into an object).
#[wasm_bindgen]
pub fn classify_json(ua: &str) -> String {
    serde_json::to_string(&classify(&Signals::from_user_agent(ua))).unwrap_or_default()
}

/// Calibration: the same call with the UA string passed in and nothing classified (the JS → wasm call and
/// UTF-8 copy every `device_class` call also pays).
#[wasm_bindgen]
pub fn passthrough(ua: &str) -> u8 {
    ua.len() as u8
}
