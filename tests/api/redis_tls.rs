//! `rediss://` really encrypts and verifies: a Redis with a TLS port only (no plain-text
//! port at all) and a CA made here. With that CA the whole caching flow works; with a CA
//! that did not sign the server's certificate the service is degraded, never connected.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{free_port, shared_servers, spawn_app_with, test_settings};

fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl is installed (Debian: apt-get install openssl)");
    assert!(status.success(), "openssl {args:?}");
}

/// A CA (`{name}-ca.pem`) and, when `server` is set, a certificate for `localhost` signed
/// by it (`server.pem`, `server.key`).
fn make_ca(dir: &Path, name: &str, server: bool) {
    let (key, ca) = (format!("{name}-ca.key"), format!("{name}-ca.pem"));
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &ca,
            "-days",
            "2",
            "-subj",
            &format!("/CN={name} test CA"),
        ],
    );
    if server {
        openssl(
            dir,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=localhost",
            ],
        );
        std::fs::write(
            dir.join("san.ext"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
        )
        .unwrap();
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                &ca,
                "-CAkey",
                &key,
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-days",
                "2",
                "-extfile",
                "san.ext",
            ],
        );
    }
}

/// redis-server listening with TLS only; killed on drop.
struct TlsRedis {
    child: Child,
    port: u16,
}

impl TlsRedis {
    fn start(dir: &Path) -> Self {
        let port = free_port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                "0",
                "--tls-port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .args([
                "--tls-cert-file",
                "server.pem",
                "--tls-key-file",
                "server.key",
            ])
            .args([
                "--tls-ca-cert-file",
                "good-ca.pem",
                "--tls-auth-clients",
                "no",
            ])
            .args(["--save", "", "--appendonly", "no"])
            .current_dir(dir)
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, port }
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn certificates() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("redis-tls-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    make_ca(&dir, "good", true);
    make_ca(&dir, "other", false);
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rediss_encrypts_and_verifies_the_server() {
    let dir = certificates();
    let redis = TlsRedis::start(&dir);
    let url = format!("rediss://localhost:{}", redis.port);
    let good_ca = dir.join("good-ca.pem").display().to_string();
    let app = spawn_app_with(test_settings(
        &shared_servers().mongo_uri,
        &url,
        &[("REDIS_TLS_CA_FILE", good_ca.as_str())],
    ))
    .await;
    assert!(!app.admin_token.is_empty(), "sessions work over TLS");
    let health: Value = app.health().await.json().await.unwrap();
    assert_eq!(health["data"]["status"], "ok", "{health}");
    // The near tier's RESP3 tracking connection goes over TLS too.
    crate::near_cache::wait_until_serving(&app).await;
    let id = app.create_product(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = app.user_token("tls@example.com").await;
    let read = app.get_as(&format!("/api/products/{id}"), &token).await;
    assert_eq!(
        read.headers()["x-data-source"],
        "cache",
        "the write-through landed"
    );
    let first = app.list_products("").await;
    assert_eq!(first.headers()["x-cache"], "MISS");
    let second = app.list_products("").await;
    assert_eq!(second.headers()["x-cache"], "HIT");
    // The entry is visible to a TLS client of our own (the server has no plain-text port).
    let cli = Command::new("redis-cli")
        .args([
            "--tls",
            "--cacert",
            &good_ca,
            "-h",
            "localhost",
            "-p",
            &redis.port.to_string(),
        ])
        .args([
            "EXISTS",
            &format!("{}product:{id}", app.settings.redis.key_prefix),
        ])
        .output()
        .expect("redis-cli runs");
    assert_eq!(String::from_utf8_lossy(&cli.stdout).trim(), "1");

    let other_ca = dir.join("other-ca.pem").display().to_string();
    let untrusting = spawn_app_with(test_settings(
        &shared_servers().mongo_uri,
        &url,
        &[
            ("REDIS_TLS_CA_FILE", other_ca.as_str()),
            ("REDIS_STARTUP_TIMEOUT_MS", "500"),
        ],
    ))
    .await;
    assert!(
        untrusting.admin_token.is_empty(),
        "no session store without a trusted server"
    );
    let health: Value = untrusting.health().await.json().await.unwrap();
    assert_eq!(health["data"]["status"], "degraded", "{health}");
    let list = untrusting.list_products("").await;
    assert_eq!(list.status(), 200, "reads come from MongoDB");
    assert_eq!(list.headers()["x-cache"], "BYPASS");
    let _ = std::fs::remove_dir_all(&dir);
}
