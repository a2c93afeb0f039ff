//! A module's status line: one of a fixed set of texts, chosen by the audio thread with a
//! single atomic store and read by the host's UI thread without touching the module.

use std::ffi::CStr;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

/// The text a module shows now, out of its fixed table.
#[derive(Debug)]
pub struct StatusLine {
    code: AtomicU32,
    texts: &'static [&'static CStr],
}

impl StatusLine {
    /// A status line over `texts`, showing the first.
    pub fn new(texts: &'static [&'static CStr]) -> StatusLine {
        StatusLine {
            code: AtomicU32::new(0),
            texts,
        }
    }

    /// Shows text `code` (out of range shows the first). Wait-free.
    pub fn set(&self, code: u32) {
        self.code.store(code, Relaxed);
    }

    /// The text shown now (empty when the table is).
    pub fn text(&self) -> &'static CStr {
        let code = self.code.load(Relaxed) as usize;
        self.texts
            .get(code)
            .or_else(|| self.texts.first())
            .copied()
            .unwrap_or(c"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_the_chosen_text_and_falls_back_to_the_first() {
        static TEXTS: [&CStr; 2] = [c"", c"blocked"];
        let s = StatusLine::new(&TEXTS);
        assert_eq!(s.text(), c"");
        s.set(1);
        assert_eq!(s.text(), c"blocked");
        s.set(99);
        assert_eq!(s.text(), c"");
        assert_eq!(StatusLine::new(&[]).text(), c"");
    }
}
