//! woothee for the Node side-by-side benchmark: the category as a small integer.

use wasm_bindgen::prelude::*;

/// woothee's category: 0 pc, 1 smartphone, 2 mobilephone, 3 crawler, 4 appliance, 5 misc, 6 UNKNOWN / no match.
#[wasm_bindgen]
pub fn category(ua: &str) -> u8 {
    match woothee::parser::Parser::new().parse(ua) {
        Some(r) => match r.category {
            "pc" => 0,
            "smartphone" => 1,
            "mobilephone" => 2,
            "crawler" => 3,
            "appliance" => 4,
            "misc" => 5,
            _ => 6,
        },
        None => 6,
    }
}
