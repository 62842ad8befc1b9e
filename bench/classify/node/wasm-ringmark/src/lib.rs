//! ringmark-classify for the Node side-by-side benchmark: the device class as a small integer (no JS object),
//! and the whole classification as JSON (to measure the cost of handing an object to JS).

use ringmark_classify::{DeviceClass, Signals, classify};
use wasm_bindgen::prelude::*;

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
