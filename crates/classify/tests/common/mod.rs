//! Shared by the table-driven test files: one failure report for a whole group.

/// Fails with every wrong case of a group listed, not just the first.
pub fn assert_group(group: &str, total: usize, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{group}: {} of {total} wrong\n{}",
        failures.len(),
        failures.join("\n")
    );
}
