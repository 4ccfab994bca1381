-- The MES's test limits (illustrative values): the bore diameter each of three leak-and-gauge
-- stations checks, in millimetres. Each change of a limit is a new revision; the program
-- downloads the released ones in revision order, so a station ends with its latest.
CREATE TABLE test_limits (
    revision       bigint PRIMARY KEY,
    station        integer NOT NULL,
    characteristic text NOT NULL,
    lower_mm       double precision NOT NULL,
    upper_mm       double precision NOT NULL,
    status         text NOT NULL
);

INSERT INTO test_limits VALUES
    (1, 1, 'bore diameter', 24.980, 25.020, 'RELEASED'),
    (2, 2, 'bore diameter', 31.975, 32.025, 'RELEASED'),
    (3, 3, 'bore diameter', 11.990, 12.010, 'RELEASED'),
    -- A tighter tolerance for station 1, drafted, then released.
    (4, 1, 'bore diameter', 24.990, 25.010, 'DRAFT'),
    (5, 1, 'bore diameter', 24.990, 25.010, 'RELEASED'),
    -- A typing error: the limits swapped. Rejected, station 2 keeps its limits.
    (6, 2, 'bore diameter', 32.025, 31.975, 'RELEASED'),
    -- A station the line does not have (yet): its controller has no such variables, the server
    -- refuses the write, and the revision is rejected with the server's status.
    (7, 4, 'bore diameter', 7.995, 8.005, 'RELEASED'),
    (8, 3, 'bore diameter', 11.985, 12.015, 'RELEASED');
