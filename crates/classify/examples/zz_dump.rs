// TEMP (removed before hand-back): dumps every classification for before/after equivalence checks.
use ringmark_classify::{Classifier, classify_lines};
fn main() {
    let mut input = String::new();
    for f in ["ua-dev.tsv"] {
        let t = std::fs::read_to_string(format!("/work/shared/corpus/{f}")).unwrap();
        for l in t.lines().skip(1) {
            let c: Vec<&str> = l.split('\t').collect();
            input.push_str(&format!("{}\t{}\n", c[1], c.get(3).unwrap_or(&"")));
        }
    }
    let t = std::fs::read_to_string("/work/shared/corpus/email-dev.tsv").unwrap();
    for l in t.lines().skip(1) {
        let c: Vec<&str> = l.split('\t').collect();
        input.push_str(&format!("{}\t{}\n", c[3], c.get(4).unwrap_or(&"")));
    }
    let out = std::io::stdout().lock();
    classify_lines(&Classifier::new(), input.as_bytes(), out, &mut |_| {}).unwrap();
}
