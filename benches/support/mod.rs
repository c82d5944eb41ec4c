//! Shared by the benchmarks: a Redis server of their own and percentiles.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A `redis-server` started for the run; killed on drop.
pub struct OwnRedis(Child);

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `BENCH_REDIS_URL` if set, else a fresh `redis-server` on a free loopback port.
pub fn start_redis() -> (String, Option<OwnRedis>) {
    if let Ok(url) = std::env::var("BENCH_REDIS_URL") {
        return (url, None);
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server on PATH (scripts/test.sh installs it)");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (format!("redis://127.0.0.1:{port}"), Some(OwnRedis(child)))
}

/// The `p` quantile of sorted timings.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Mean, p50 and p99 in microseconds.
pub fn summary(mut timings: Vec<Duration>) -> (f64, f64, f64) {
    timings.sort();
    let mean = timings.iter().sum::<Duration>() / timings.len() as u32;
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    (
        us(mean),
        us(percentile(&timings, 0.5)),
        us(percentile(&timings, 0.99)),
    )
}
