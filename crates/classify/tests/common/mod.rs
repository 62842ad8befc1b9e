//! Shared by the table-driven test files: one failure report for a whole group.

use ringmark_classify::{DeviceClass, Signals, classify};

/// Fails with every wrong case of a group listed, not just the first.
pub fn assert_group(group: &str, total: usize, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{group}: {} of {total} wrong\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The device class of a bare User-Agent (no headers).
pub fn device(ua: &str) -> DeviceClass {
    classify(&Signals::from_user_agent(ua)).device
}

/// Fails listing every User-Agent of `cases` whose device class is not the wanted one.
pub fn check_uas(group: &str, cases: &[(&str, DeviceClass)]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|&(ua, want)| {
            let got = device(ua);
            (got != want).then(|| format!("  {ua:?}: want {want}, got {got}"))
        })
        .collect();
    assert_group(group, cases.len(), &failures);
}
