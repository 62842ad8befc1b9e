//! Per-isolate memo of rendered images. A pool hands out few numbers and has one style, so the same
//! (display, variant, style) triple repeats across opens; a hit skips rasterising and PNG encoding.
//!
//! Eviction is least-recently-used by a use counter: a hit or insert stamps the entry; when the cache is
//! full the entry with the oldest stamp is dropped (an O(capacity) scan, cheap for the intended few hundred
//! entries and simpler than a linked list). Errors are not cached. Capacity 0 disables caching.

use crate::{Image, RenderError, Style, Variant, number_image};
use std::collections::HashMap;
use std::rc::Rc;

type Key = (String, Variant, Style);

/// A bounded LRU cache in front of [`number_image`]; single-threaded (`Rc`), as a wasm isolate is.
/// `Renderer::default()` has capacity 0 (no caching).
#[derive(Debug, Default)]
pub struct Renderer {
    capacity: usize,
    clock: u64,
    entries: HashMap<Key, (Rc<Image>, u64)>,
}

impl Renderer {
    /// An empty cache holding at most `capacity` images.
    pub fn new(capacity: usize) -> Renderer {
        Renderer {
            capacity,
            clock: 0,
            entries: HashMap::with_capacity(capacity.min(1024)),
        }
    }

    /// The image for (`display`, `variant`, `style`), from the cache or freshly rendered (and then cached).
    ///
    /// # Errors
    /// As [`number_image`]; failures are not cached.
    pub fn render(
        &mut self,
        display: &str,
        variant: Variant,
        style: &Style,
    ) -> Result<Rc<Image>, RenderError> {
        self.clock += 1;
        let key = (display.to_owned(), variant, style.clone());
        if let Some((image, stamp)) = self.entries.get_mut(&key) {
            *stamp = self.clock;
            return Ok(Rc::clone(image));
        }
        let image = Rc::new(number_image(display, variant, style)?);
        if self.capacity == 0 {
            return Ok(image);
        }
        if self.entries.len() >= self.capacity {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, (_, stamp))| *stamp)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                self.entries.remove(&k);
            }
        }
        self.entries.insert(key, (Rc::clone(&image), self.clock));
        Ok(image)
    }

    /// Number of cached images.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache holds no image.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_returns_the_same_allocation() {
        let mut r = Renderer::new(4);
        let style = Style::default();
        let a = r
            .render("(415) 555-0132", Variant::Button, &style)
            .expect("renders");
        let b = r
            .render("(415) 555-0132", Variant::Button, &style)
            .expect("renders");
        assert!(Rc::ptr_eq(&a, &b));
        let c = r
            .render("(415) 555-0132", Variant::Text, &style)
            .expect("renders");
        assert!(!Rc::ptr_eq(&a, &c));
        assert_eq!(r.len(), 2);
    }

    #[test]
    fn least_recently_used_entry_is_evicted() {
        let mut r = Renderer::new(2);
        let s = Style::default();
        let one = r.render("1", Variant::Text, &s).expect("1");
        r.render("2", Variant::Text, &s).expect("2");
        r.render("1", Variant::Text, &s).expect("touch 1");
        r.render("3", Variant::Text, &s).expect("3 evicts 2");
        assert_eq!(r.len(), 2);
        assert!(Rc::ptr_eq(
            &one,
            &r.render("1", Variant::Text, &s).expect("1 kept")
        ));
        let before = r.len();
        r.render("2", Variant::Text, &s).expect("2 again");
        assert_eq!(before, 2);
        // "2" was re-rendered and evicted "3" (older than the "1" just touched).
        let keys: Vec<&str> = r.entries.keys().map(|k| k.0.as_str()).collect();
        assert!(keys.contains(&"1") && keys.contains(&"2"), "{keys:?}");
    }

    #[test]
    fn errors_and_zero_capacity_cache_nothing() {
        let mut r = Renderer::new(0);
        r.render("1", Variant::Text, &Style::default())
            .expect("renders");
        assert!(r.is_empty());
        let mut r = Renderer::new(3);
        assert!(r.render("☎", Variant::Text, &Style::default()).is_err());
        assert!(r.is_empty());
    }
}
