//! `cargo fuzz run check`: see `fdi_fuzz::check`.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    let _ = fdi_fuzz::check(input);
});
