//! Client handles: how a source names its monitored items to the server, and knows a data change
//! of its own from one of a subscription that is not.

/// Monitored items per source at most: the low bits of a client handle number them.
pub(crate) const MAX_ITEMS: usize = ITEM_BITS as usize - 1;
const ITEM_BITS: u32 = 0x1000;

/// The high bits of the client handles of source `identity` (its mapping and name): the same in
/// every run of the program, since a restarted program takes its subscription over, and
/// different for every other source. A server that restarted numbers subscriptions from the
/// start again, so a TransferSubscriptions of an old id may take over another client's new
/// subscription; its data changes then carry handles that are not ours, and are never read as
/// ours (see `Subscriber::deliver`).
pub(crate) fn client_handle_base(identity: &str) -> u32 {
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let hash = identity.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    hash & !(ITEM_BITS - 1)
}

/// The index of the item `handle` names, if it is one of the items of the source whose handles
/// start at `base`.
pub(super) fn item_index(handle: u32, base: u32) -> Option<usize> {
    if handle & !(ITEM_BITS - 1) != base {
        return None;
    }
    (handle & (ITEM_BITS - 1))
        .checked_sub(1)
        .map(|i| i as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_handles_name_items_of_this_source_only() {
        let base = client_handle_base("opcua-line-counters.subscription.json");
        let other = client_handle_base("opcua-line-states.subscription.json");
        assert_ne!(base, other);
        assert_eq!(base & (ITEM_BITS - 1), 0);
        assert_eq!(item_index(base | 1, base), Some(0));
        assert_eq!(
            item_index(base | MAX_ITEMS as u32, base),
            Some(MAX_ITEMS - 1)
        );
        // Another source's first item, and a bare index as another client numbers its items.
        assert_eq!(item_index(other | 1, base), None);
        assert_eq!(item_index(1, base), None);
        assert_eq!(item_index(base, base), None);
    }
}
