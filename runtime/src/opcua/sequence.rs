//! Notification sequence numbers wrap: after 4,294,966,271 (UInt32's largest less 1,024) the next
//! message is numbered 1 again (OPC 10000-4, 7.38). A subscription publishing every 10 ms gets
//! there in 16 months, and a program that compared the numbers as they come would then take every
//! new message for one it had delivered already. So a subscription counts on a line that does not
//! wrap (a `u64`, 1 for the first number) and reads each number of the wire as the count nearest
//! one it knows; what goes back on the wire is the number again.

/// The largest sequence number; the one after it is 1.
const LARGEST: u64 = 4_294_966_271;

/// The count of wire number `number` nearest the count `near`: in `near`'s turn of the numbers,
/// the one before or the one after.
pub(super) fn count(number: u32, near: u64) -> u64 {
    let number = u64::from(number);
    let turn = near.saturating_sub(1) / LARGEST;
    [turn.checked_sub(1), Some(turn), turn.checked_add(1)]
        .into_iter()
        .flatten()
        .map(|turn| turn * LARGEST + number)
        .min_by_key(|count| count.abs_diff(near))
        .unwrap_or(number)
}

/// The wire number of count `count`.
pub(super) fn number(count: u64) -> u32 {
    // At most LARGEST, which fits.
    ((count.max(1) - 1) % LARGEST + 1) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_on_across_the_wrap() {
        // Before the first wrap, a number is its count.
        assert_eq!(count(5, 1), 5);
        assert_eq!(count(7, 3), 7);
        // 1 after the largest number is the count after it, not one long delivered.
        assert_eq!(count(1, LARGEST), LARGEST + 1);
        assert_eq!(count(3, LARGEST - 2), LARGEST + 3);
        // A message republished from before the wrap, read after it.
        assert_eq!(count(LARGEST as u32, LARGEST + 2), LARGEST);
        // Numbers and counts agree both ways, in the second turn too.
        for count_ in [1, 2, LARGEST - 1, LARGEST, LARGEST + 1, 2 * LARGEST + 7] {
            assert_eq!(count(number(count_), count_), count_);
        }
        assert_eq!(number(LARGEST + 1), 1);
    }
}
