//! `fallback`: show the pool's fallback number (untracked per recipient; its callers are
//! ranked among everyone it was shown to).

use super::Placed;

/// Always declines: the caller shows the fallback number.
pub(super) fn take() -> Option<Placed> {
    None
}
