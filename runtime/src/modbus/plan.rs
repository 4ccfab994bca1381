//! The read requests of a poll: the fields of each table in address order, adjacent ones
//! merged into one request up to the protocol's limit (125 registers, 2000 bits). Fields with
//! a gap between them are not merged: a device may answer a read of an address it does not
//! have with an exception (illegal data address), which would fail the whole poll.

use super::map::{RegisterField, RegisterTable};

/// One read request and the fields it answers.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadRequest {
    pub table: RegisterTable,
    pub address: u16,
    pub count: u16,
    /// Indexes into the map's fields.
    pub fields: Vec<usize>,
}

/// The requests that read every field of `fields`, in table and address order. Fields that
/// share registers (a bit and the word it is in, two bits of one register) share a request.
pub fn plan_reads(fields: &[RegisterField]) -> Vec<ReadRequest> {
    let mut order: Vec<usize> = (0..fields.len()).collect();
    order.sort_by_key(|&i| (fields[i].table, fields[i].address, fields[i].end()));
    let mut requests: Vec<ReadRequest> = Vec::new();
    for i in order {
        let field = &fields[i];
        let extends = requests.last_mut().filter(|last| {
            let last_end = u32::from(last.address) + u32::from(last.count);
            last.table == field.table
                && u32::from(field.address) <= last_end
                && field.end().max(last_end) - u32::from(last.address)
                    <= u32::from(field.table.max_read())
        });
        match extends {
            Some(last) => {
                let end = field
                    .end()
                    .max(u32::from(last.address) + u32::from(last.count));
                last.count = (end - u32::from(last.address)) as u16;
                last.fields.push(i);
            }
            None => requests.push(ReadRequest {
                table: field.table,
                address: field.address,
                count: field.ty.count(),
                fields: vec![i],
            }),
        }
    }
    requests
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modbus::map::{FieldKind, RegisterType};

    fn at(table: RegisterTable, address: u16, ty: RegisterType) -> RegisterField {
        RegisterField::new("x", FieldKind::Float, table, address, ty)
    }

    fn shape(requests: &[ReadRequest]) -> Vec<(RegisterTable, u16, u16)> {
        requests
            .iter()
            .map(|r| (r.table, r.address, r.count))
            .collect()
    }

    #[test]
    fn adjacent_fields_share_a_request_and_gaps_split() {
        use RegisterTable::*;
        let fields = [
            at(Input, 4, RegisterType::F32),
            at(Input, 0, RegisterType::F32),
            at(Input, 2, RegisterType::F32),
            at(Input, 10, RegisterType::U16),
            at(Holding, 0, RegisterType::U16),
            at(Holding, 0, RegisterType::Bit(3)),
            at(Coil, 0, RegisterType::Bool),
            at(Coil, 1, RegisterType::Bool),
        ];
        let requests = plan_reads(&fields);
        assert_eq!(
            shape(&requests),
            [(Holding, 0, 1), (Input, 0, 6), (Input, 10, 1), (Coil, 0, 2)]
        );
        assert_eq!(requests[1].fields, [1, 2, 0]);
    }

    #[test]
    fn a_request_never_exceeds_the_protocols_limit() {
        let fields: Vec<RegisterField> = (0..100)
            .map(|i| at(RegisterTable::Holding, i * 4, RegisterType::F64))
            .collect();
        let requests = plan_reads(&fields);
        assert!(requests.iter().all(|r| r.count <= 125));
        // 31 f64 (124 registers) per request: 100 fields in 4 requests.
        assert_eq!(requests.len(), 4);
        let coils: Vec<RegisterField> = (0..4500)
            .map(|i| at(RegisterTable::Coil, i, RegisterType::Bool))
            .collect();
        assert_eq!(
            shape(&plan_reads(&coils)),
            [
                (RegisterTable::Coil, 0, 2000),
                (RegisterTable::Coil, 2000, 2000),
                (RegisterTable::Coil, 4000, 500)
            ]
        );
    }
}
