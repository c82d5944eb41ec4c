//! Throw-away Redis and MongoDB-compatible servers on free loopback ports.
//!
//! `TEST_REDIS_URL` / `TEST_MONGODB_URI` point the shared servers at existing ones.
//! Otherwise they are started here: `redis-server` from PATH; `mongod` from PATH if present,
//! else SecantusDB (`secantusd-py` from PATH or the project's `.venv`). A missing server is a
//! loud failure, never a skipped test. Children die with the test process (PDEATHSIG set
//! from a spawner thread that lives as long as the process).

use std::io;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

type SpawnRequest = (Command, mpsc::Sender<io::Result<Child>>);

/// Spawns from a thread that never exits, because PDEATHSIG fires when the spawning
/// *thread* ends, and test threads end early.
fn spawn_owned(mut command: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    let sender = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        thread::spawn(move || {
            for (mut command, reply) in rx {
                let _ = reply.send(command.spawn());
            }
        });
        Mutex::new(tx)
    });
    // SAFETY: prctl is async-signal-safe; it only asks the kernel to kill the child when
    // the spawning thread exits.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let (reply_tx, reply_rx) = mpsc::channel();
    sender.lock().unwrap().send((command, reply_tx)).unwrap();
    reply_rx.recv().unwrap()
}

/// A loopback port nobody listens on, never handed out twice by this test binary: two
/// servers started at once could otherwise be given the same port by the OS, one of them
/// fail to bind, and its test silently talk to the other one's server.
pub fn free_port() -> u16 {
    static HANDED_OUT: std::sync::LazyLock<Mutex<std::collections::HashSet<u16>>> =
        std::sync::LazyLock::new(Mutex::default);
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if HANDED_OUT.lock().unwrap().insert(port) {
            return port;
        }
    }
}

fn wait_for_port(port: u16, what: &str, log: &PathBuf) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        thread::sleep(Duration::from_millis(50));
    }
    let output = std::fs::read_to_string(log).unwrap_or_default();
    panic!("{what} did not listen on port {port} within 30 s; its log:\n{output}");
}

fn log_file(name: &str, port: u16) -> PathBuf {
    let dir = std::env::temp_dir().join("product-catalog-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{name}-{port}.log"))
}

fn find_on_path(binary: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(binary))
            .find(|p| p.is_file())
    })
}

/// A process we started and can stop and start again on the same port.
struct Process {
    child: Option<Child>,
    port: u16,
    name: &'static str,
    command: Box<dyn Fn(u16) -> Command + Send + Sync>,
}

impl Process {
    fn start(
        name: &'static str,
        port: u16,
        command: Box<dyn Fn(u16) -> Command + Send + Sync>,
    ) -> Self {
        let mut process = Self {
            child: None,
            port,
            name,
            command,
        };
        process.restart();
        process
    }

    fn restart(&mut self) {
        let log = log_file(self.name, self.port);
        let file = std::fs::File::create(&log).unwrap();
        let mut command = (self.command)(self.port);
        command
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file);
        let child =
            spawn_owned(command).unwrap_or_else(|e| panic!("could not start {}: {e}", self.name));
        self.child = Some(child);
        wait_for_port(self.port, self.name, &log);
        if let Some(status) = self
            .child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
        {
            let output = std::fs::read_to_string(&log).unwrap_or_default();
            panic!(
                "{} exited ({status}) although port {} answers: another process holds it; its log:\n{output}",
                self.name, self.port
            );
        }
    }

    fn signal(&self, signal: libc::c_int) {
        let child = self.child.as_ref().expect("server running");
        // SAFETY: sends a signal to our own child process.
        let sent = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        assert_eq!(sent, 0, "signal {signal} to {}", self.name);
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_ok() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A Redis server of our own.
pub struct RedisServer(Process);

impl RedisServer {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// A Redis of our own with extra server arguments (e.g. a memory cap).
    pub fn start_with(extra: &[&str]) -> Self {
        let extra: Vec<String> = extra.iter().map(|a| (*a).to_owned()).collect();
        let binary = find_on_path("redis-server").unwrap_or_else(|| {
            panic!("redis-server not found on PATH: run scripts/test.sh (it installs it) or set TEST_REDIS_URL")
        });
        let port = free_port();
        Self(Process::start(
            "redis",
            port,
            Box::new(move |port| {
                let mut c = Command::new(&binary);
                c.args([
                    "--port",
                    &port.to_string(),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--enable-debug-command",
                    "local",
                ]);
                c.args(&extra);
                c
            }),
        ))
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.0.port)
    }

    pub fn stop(&mut self) {
        self.0.stop();
    }

    pub fn restart(&mut self) {
        self.0.restart();
    }

    /// Freezes the process (SIGSTOP): connections stay open, nothing answers, data is kept.
    pub fn freeze(&self) {
        self.0.signal(libc::SIGSTOP);
    }

    /// Thaws a frozen server (SIGCONT).
    pub fn thaw(&self) {
        self.0.signal(libc::SIGCONT);
    }
}

/// A MongoDB-wire server of our own: `mongod` if installed, else SecantusDB in memory.
pub struct MongoServer(Process);

impl MongoServer {
    pub fn start() -> Self {
        let port = free_port();
        if let Some(mongod) = find_on_path("mongod") {
            let dir = std::env::temp_dir().join(format!("product-catalog-mongod-{port}"));
            return Self(Process::start(
                "mongod",
                port,
                Box::new(move |port| {
                    let _ = std::fs::remove_dir_all(&dir);
                    std::fs::create_dir_all(&dir).unwrap();
                    let mut c = Command::new(&mongod);
                    c.args(["--bind_ip", "127.0.0.1", "--port", &port.to_string()])
                        .arg("--dbpath")
                        .arg(&dir);
                    c
                }),
            ));
        }
        let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/secantusd-py");
        let secantus = find_on_path("secantusd-py").or(venv.is_file().then_some(venv)).unwrap_or_else(|| {
            panic!(
                "no MongoDB server: install mongod, run scripts/test.sh (it installs SecantusDB into .venv), \
                 or set TEST_MONGODB_URI"
            )
        });
        Self(Process::start(
            "secantus",
            port,
            Box::new(move |port| {
                let mut c = Command::new(&secantus);
                c.args([
                    "--host",
                    "127.0.0.1",
                    "--port",
                    &port.to_string(),
                    "--storage-path",
                    ":memory:",
                ])
                .args(["--log-level", "WARNING"]);
                c
            }),
        ))
    }

    pub fn uri(&self) -> String {
        format!("mongodb://127.0.0.1:{}/?directConnection=true", self.0.port)
    }

    pub fn stop(&mut self) {
        self.0.stop();
    }

    pub fn restart(&mut self) {
        self.0.restart();
    }

    /// Freezes the process (SIGSTOP): connections stay open, nothing answers.
    pub fn freeze(&self) {
        self.0.signal(libc::SIGSTOP);
    }

    /// Thaws a frozen server (SIGCONT): it then handles what was sent meanwhile.
    pub fn thaw(&self) {
        self.0.signal(libc::SIGCONT);
    }
}

/// The servers most tests share; each test isolates itself with its own database name and
/// key prefix.
pub struct SharedServers {
    pub redis_url: String,
    pub mongo_uri: String,
    _redis: Option<RedisServer>,
    _mongo: Option<MongoServer>,
}

pub fn shared_servers() -> &'static SharedServers {
    static SERVERS: OnceLock<SharedServers> = OnceLock::new();
    SERVERS.get_or_init(|| {
        let (redis_url, redis) = match std::env::var("TEST_REDIS_URL") {
            Ok(url) => (url, None),
            Err(_) => {
                let server = RedisServer::start();
                (server.url(), Some(server))
            }
        };
        let (mongo_uri, mongo) = match std::env::var("TEST_MONGODB_URI") {
            Ok(uri) => (uri, None),
            Err(_) => {
                let server = MongoServer::start();
                (server.uri(), Some(server))
            }
        };
        SharedServers {
            redis_url,
            mongo_uri,
            _redis: redis,
            _mongo: mongo,
        }
    })
}

/// A connected Redis client for a test to look at or steer a server directly.
pub async fn redis_client(url: &str) -> fred::prelude::Client {
    use fred::prelude::ClientLike;
    let config = fred::prelude::Config::from_url(url).unwrap();
    let client = fred::prelude::Builder::from_config(config).build().unwrap();
    client.init().await.expect("test connects to Redis");
    client
}
