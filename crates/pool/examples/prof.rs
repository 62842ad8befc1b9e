// TEMPORARY profiling harness (to be deleted).
use ringmark_pool::{Holder, Pool, PoolConfig, Signal};
use std::hint::black_box;
use std::time::Instant;
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}
fn main() {
    let mode = std::env::var("MODE").unwrap_or_default();
    let n = 1_000_000u64;
    let all: Vec<Holder> = (0..n)
        .map(|i| Holder::new("spring-sale", format!("rcpt-{i:016x}")))
        .collect();
    let numbers = (0..10_000).map(|i| format!("+1555{i:07}")).collect();
    let (mut p, _) = Pool::new(
        PoolConfig::new(numbers, "+18005550000", 86_400),
        1_700_000_000,
    )
    .unwrap();
    let mut now = 1_700_000_000;
    for (i, h) in all.iter().enumerate() {
        if i % 100 == 0 {
            now += 1;
        }
        black_box(p.open(h, Signal::Human, "iphone", now));
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut hot = Holder::new("spring-sale", String::with_capacity(32));
    for _ in 0..3 {
        let start = Instant::now();
        let ops = 2_000_000u64;
        for i in 0..ops {
            if i % 100 == 0 {
                now += 1;
            }
            let h = &all[(rng.next() % n) as usize];
            match mode.as_str() {
                "openhot" => {
                    use std::fmt::Write;
                    let k = rng.next() % n;
                    hot.recipient.clear();
                    let _ = write!(hot.recipient, "rcpt-{k:016x}");
                    black_box(p.open(&hot, Signal::Human, "iphone", now));
                    let _ = h;
                }
                "fmt" => {
                    use std::fmt::Write;
                    let k = rng.next() % n;
                    hot.recipient.clear();
                    let _ = write!(hot.recipient, "rcpt-{k:016x}");
                    black_box(&hot);
                    let _ = h;
                }
                "holding" => {
                    black_box(p.holding(h, now));
                }
                "touch" => {
                    black_box(
                        h.recipient.len()
                            + h.campaign.len()
                            + h.recipient.as_bytes()[5] as usize
                            + h.campaign.as_bytes()[3] as usize,
                    );
                }
                _ => {
                    black_box(p.open(h, Signal::Human, "iphone", now));
                }
            }
        }
        let dt = start.elapsed().as_secs_f64();
        println!(
            "{mode}: {:.0} ops/s, {:.0} ns/op",
            ops as f64 / dt,
            dt * 1e9 / ops as f64
        );
    }
}
