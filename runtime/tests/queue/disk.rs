//! A disk that fills under the queue and the dead letter (a small tmpfs the test mounts): the run stops with
//! an error that says the disk is full; once space is freed and the program started again, every reading is at
//! the server once.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::*;
use crate::support::peer;

const READINGS: i64 = 100_000;

/// A tmpfs mounted for the test, unmounted when dropped.
struct Mounted(PathBuf);

impl Mounted {
    fn tmpfs(path: &Path, size: &str) -> Mounted {
        std::fs::create_dir_all(path).unwrap();
        let output = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .output()
            .expect("mount runs");
        assert!(
            output.status.success(),
            "this test mounts a small tmpfs and needs root (CAP_SYS_ADMIN): mount said {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Mounted(path.to_path_buf())
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_under_the_queue_stops_the_run_clearly_and_nothing_is_lost_after_space_is_freed() {
    let mut peer = peer();
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    let _mounted = Mounted::tmpfs(&spool, "16m");
    // What else fills the disk: freed after the first run.
    let filler = spool.join("filler");
    std::fs::write(&filler, vec![0u8; 12 << 20]).unwrap();
    let lines: String = (0..READINGS).map(line).collect();
    std::fs::write(dir.path().join("readings.jsonl"), lines).unwrap();
    let config = |max_bytes: u64| {
        let mut config = fdi_runtime::RunConfig {
            base_dir: dir.path().to_path_buf(),
            checkpoint_every: 100,
            dead_letter: spool.join("dead-letter.jsonl"),
            ..fdi_runtime::RunConfig::new(&PROGRAM)
        };
        config.operations.retry_targets_for = Duration::from_secs(120);
        config.queue.queue_dir = Some(spool.join("queue"));
        config.queue.queue_max_bytes = max_bytes;
        config
    };

    // The server is down and the queue may grow to 1 GiB: the disk fills first.
    {
        let mut run = fdi_runtime::Run::new(&PROGRAM, config(1 << 30)).unwrap();
        let target = queued_readings(&mut run, &peer);
        peer.server.stop();
        read_readings(&mut run, "readings.jsonl", target);
        let error = run.drive().unwrap_err().to_string();
        assert!(error.contains("the disk of the queue is full"), "{error}");
    }

    // Space freed and the server back: the program starts again, reads its file again, with a cap below the
    // disk's size this time (back-pressure instead of a full disk).
    std::fs::remove_file(&filler).unwrap();
    peer.server.resume().unwrap();
    let mut run = fdi_runtime::Run::new(&PROGRAM, config(2 << 20)).unwrap();
    let target = queued_readings(&mut run, &peer);
    read_readings(&mut run, "readings.jsonl", target);
    run.drive().unwrap();
    assert_all_arrived_in_order(&peer, READINGS);
}
