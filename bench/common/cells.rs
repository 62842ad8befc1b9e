//! Table cells the benchmarks print alike: a figure's spread over seeds (`bench/backtest`,
//! `bench/shard`). Included by path into each example (`#[path]`), as examples share no crate.

/// `min–max` over seeds with one decimal (one value when they agree), then `unit`.
pub fn range(values: impl IntoIterator<Item = f64>, unit: &str) -> String {
    let v: Vec<f64> = values.into_iter().collect();
    if v.is_empty() {
        return "–".into();
    }
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = (format!("{lo:.1}"), format!("{hi:.1}"));
    if lo == hi {
        format!("{lo} {unit}")
    } else {
        format!("{lo}–{hi} {unit}")
    }
}

/// `min–max` of counts over seeds (one value when they agree).
pub fn counts(values: impl IntoIterator<Item = u64>) -> String {
    let v: Vec<u64> = values.into_iter().collect();
    let (lo, hi) = (v.iter().min().unwrap(), v.iter().max().unwrap());
    if lo == hi {
        lo.to_string()
    } else {
        format!("{lo}–{hi}")
    }
}
