//! An MTConnect agent restarted mid-run, and one whose buffer overflows while the program is down.
