//! Serializers that take only part of serde's data model (flat records of plain values: the
//! SQLite row, the JSON line, the provenance columns) answer the rest with one error, which
//! sends the record to the general path or reports it.

/// `serde::Serializer` methods that all return `Err($error)`:
/// `refuse! { GiveUp; serialize_char(char) -> (); serialize_map(Option<usize>) -> Self::SerializeMap; }`.
macro_rules! refuse {
    ($error:expr; $($method:ident($($arg:ty),*) -> $ret:ty;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$ret, Self::Error> {
            Err($error)
        })*
    };
}

pub(crate) use refuse;
