//! Render + encode timings for ringmark-render (native; the lead measures wasm separately).
//!
//! `cargo bench -p ringmark-render --bench render`
//!
//! Prints, per case: the median µs of `number_image` (rasterise + PNG encode) over many runs, the output
//! size, the shared CSS box and the median µs of a `Renderer` cache hit; then the median µs of
//! `display_size` (layout only). The very first render of the process is reported on its own (font parse
//! + first-use costs). The wasm figures come from `bench/render/node/run.sh` (RESULTS.md).

use ringmark_render::{Renderer, Style, Variant, display_size, number_image};
use std::hint::black_box;
use std::time::Instant;

const RUNS: usize = 400;

fn median_us(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn time<F: FnMut()>(runs: usize, mut f: F) -> f64 {
    let samples = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    median_us(samples)
}

fn main() {
    let number = "(415) 555-0132";
    let default = Style::default();
    let t = Instant::now();
    let first = number_image(number, Variant::Text, &default).expect("renders");
    println!(
        "first render (cold, font parse): {:.0} µs, {} B",
        t.elapsed().as_secs_f64() * 1e6,
        first.png.len()
    );

    let labelled = Style {
        label: Some("Call us".into()),
        ..Style::default()
    };
    let large = Style {
        font_px: 32,
        label: Some("Bizi arayın".into()),
        ..Style::default()
    };
    println!(
        "{:<34} {:>10} {:>8} {:>9} {:>12}",
        "case", "median µs", "bytes", "CSS box", "cache hit µs"
    );
    for (name, style) in [
        ("default", &default),
        ("label \"Call us\"", &labelled),
        ("32px + Turkish label", &large),
    ] {
        for variant in [Variant::Text, Variant::Button] {
            let img = number_image(number, variant, style).expect("renders");
            let render = time(RUNS, || {
                black_box(number_image(black_box(number), variant, style).expect("renders"));
            });
            let mut cache = Renderer::new(64);
            cache.render(number, variant, style).expect("renders");
            let hit = time(RUNS * 10, || {
                black_box(
                    cache
                        .render(black_box(number), variant, style)
                        .expect("hit"),
                );
            });
            println!(
                "{:<34} {:>10.0} {:>8} {:>9} {:>12.2}",
                format!("{name} / {variant:?}"),
                render,
                img.png.len(),
                format!("{}x{}", img.width, img.height),
                hit
            );
        }
    }
    let size = time(RUNS * 5, || {
        black_box(display_size(black_box(number), &default).expect("size"));
    });
    println!("display_size (layout only, no raster/encode): {size:.2} µs");
}
