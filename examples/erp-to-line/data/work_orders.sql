-- The ERP's work orders of the erp-to-line example, one row per order item.
-- Written by b2mml_to_sql.py from PRO-20121210181416-27942.xml;
-- do not edit by hand. Source and licence: SOURCE.md.
CREATE TABLE work_orders (
    -- The watermark: an identity grows with every insert, so new rows are read after old ones.
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id text NOT NULL,
    item integer NOT NULL,
    segment text NOT NULL,
    material_id text NOT NULL,
    description text,
    material_use text,
    quantity numeric NOT NULL,
    unit_of_measure text NOT NULL,
    work_cell text,
    lot_id text,
    sublot_id text,
    indice text,
    line text NOT NULL,
    released_at timestamptz NOT NULL,
    UNIQUE (order_id, item)
);

INSERT INTO work_orders (order_id, item, segment, material_id, description, material_use, quantity, unit_of_measure, work_cell, lot_id, sublot_id, indice, line, released_at) VALUES
    ('258456', 1, '0010', 'SO1215', 'Final 1215', 'Produced', '1.000', 'KG', NULL, NULL, NULL, NULL, '3', '2009-12-10T17:14:16.0Z'),
    ('258456', 2, 'Weighing', 'CRBN0001', NULL, 'Consumed', '5.000', 'KG', 'BOX3', NULL, NULL, '0010', '3', '2009-12-10T17:14:16.0Z'),
    ('258456', 3, 'Weighing', 'CRBN0002', NULL, 'Consumed', '50.000', 'KG', 'BOX1', NULL, NULL, '0020', '3', '2009-12-10T17:14:16.0Z'),
    ('258456', 4, 'Weighing', 'CRBN0001', NULL, 'Consumed', '811.000', 'KG', 'BOX3', NULL, NULL, '0030', '3', '2009-12-10T17:14:16.0Z'),
    ('258456', 5, 'Weighing', 'CRBN0003', NULL, 'Consumed', '100.000', 'KG', 'BOX4', NULL, NULL, '0040', '3', '2009-12-10T17:14:16.0Z'),
    ('258456', 6, 'Contenair', 'CRBN0001', NULL, NULL, '199.910', 'KG', NULL, 'CRBN0001_LOT01', '412345670000003212', NULL, '3', '2009-12-10T17:14:16.0Z'),
    ('258456', 7, 'Contenair', 'CRBN0002', NULL, NULL, '2152.3', 'KG', NULL, 'CRBN0002_LOT01', '412345670021003212', NULL, '3', '2009-12-10T17:14:16.0Z');
