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

/// The service's own binary as a process of its own, for what must be measured apart
/// from the test process (which runs many tests at once): its resident memory, say.
pub struct ServiceProcess(Process);

impl ServiceProcess {
    /// Starts the service with `env` (and nothing else from this environment but `PATH`)
    /// on a free loopback port; returns once it listens. `SERVICE_BINARY` names another
    /// build to start (a release build, to read its figures); by default, this test
    /// build's own binary.
    pub fn start(env: Vec<(String, String)>) -> Self {
        let binary = std::env::var("SERVICE_BINARY")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_product-catalog").to_owned());
        let command = move |port: u16| {
            let mut command = Command::new(&binary);
            command
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .envs(env.iter().cloned())
                .env("APP_HOST", "127.0.0.1")
                .env("APP_PORT", port.to_string());
            command
        };
        Self(Process::start("service", free_port(), Box::new(command)))
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.0.port)
    }

    pub fn port(&self) -> u16 {
        self.0.port
    }

    /// The process's resident memory (`VmRSS`), in bytes.
    pub fn resident_bytes(&self) -> u64 {
        let pid = self.0.child.as_ref().expect("service running").id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .expect("VmRSS in /proc/<pid>/status")
            * 1024
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
                // A replica's full sync writes an RDB file even with saving off: keep it
                // out of the working directory.
                c.arg("--dir").arg(std::env::temp_dir());
                c.args(["--dbfilename", &format!("product-catalog-redis-{port}.rdb")]);
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

/// A Redis Cluster of our own: 3 primaries with one replica each on free loopback ports
/// (each below 55535, as the cluster bus listens on port + 10000), a 2 s node timeout so a
/// replica takes over a few seconds after its primary dies.
pub struct RedisCluster {
    nodes: Vec<Process>,
}

impl RedisCluster {
    pub fn start() -> Self {
        let binary = find_on_path("redis-server").unwrap_or_else(|| {
            panic!("redis-server not found on PATH: run scripts/test.sh (it installs it)")
        });
        let ports: Vec<u16> = std::iter::repeat_with(free_port)
            .filter(|p| *p < 55_535 && TcpListener::bind(("127.0.0.1", *p + 10_000)).is_ok())
            .take(6)
            .collect();
        let dir = std::env::temp_dir().join(format!("product-catalog-cluster-{}", ports[0]));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let nodes: Vec<Process> = ports
            .iter()
            .map(|&port| {
                let (binary, dir) = (binary.clone(), dir.clone());
                Process::start(
                    "redis-cluster-node",
                    port,
                    Box::new(move |port| {
                        let mut c = Command::new(&binary);
                        c.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                            .args(["--cluster-enabled", "yes", "--cluster-node-timeout", "2000"])
                            .args(["--cluster-config-file", &format!("nodes-{port}.conf")])
                            .args(["--save", "", "--appendonly", "no"])
                            .arg("--dir")
                            .arg(&dir);
                        c
                    }),
                )
            })
            .collect();
        let mut create = vec!["create".to_owned()];
        create.extend(ports.iter().map(|p| format!("127.0.0.1:{p}")));
        create.extend(["--cluster-replicas", "1"].map(String::from));
        redis_cli_cluster(&create);
        let cluster = Self { nodes };
        Self::wait_until_ok(&ports);
        cluster
    }

    /// Waits until three of the nodes in `ports` are primaries (after a primary died: its
    /// replica was promoted), every one says `cluster_state:ok`, and every replica among
    /// them has its link to its primary up.
    pub fn wait_until_ok(ports: &[u16]) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let cli = redis_cli;
        loop {
            let roles: Vec<String> = ports.iter().map(|&port| cli(port, &["role"])).collect();
            let primaries = roles.iter().filter(|r| r.starts_with("master")).count();
            let ready = primaries >= 3
                && ports.iter().zip(&roles).all(|(&port, role)| {
                    cli(port, &["cluster", "info"]).contains("cluster_state:ok")
                        && (role.starts_with("master") || role.contains("connected"))
                });
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the cluster on {ports:?} did not become ready within 30 s"
            );
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// The ports of the nodes running (not killed).
    pub fn running_ports(&self) -> Vec<u16> {
        self.nodes
            .iter()
            .filter(|n| n.child.is_some())
            .map(|n| n.port)
            .collect()
    }

    /// Waits until the nodes running agree the cluster is whole and every replica among them
    /// is linked to its primary.
    pub fn wait_until_healed(&self) {
        Self::wait_until_ok(&self.running_ports());
    }

    /// fred's form: `redis-cluster://host:port?node=host:port&...`.
    pub fn url(&self) -> String {
        let nodes: Vec<String> = self.nodes[1..]
            .iter()
            .map(|n| format!("node=127.0.0.1:{}", n.port))
            .collect();
        format!(
            "redis-cluster://127.0.0.1:{}?{}",
            self.nodes[0].port,
            nodes.join("&")
        )
    }

    /// Kills the node on `port` with SIGKILL: no goodbye to its peers or clients.
    pub fn kill(&mut self, port: u16) {
        let node = self.node_mut(port);
        node.signal(libc::SIGKILL);
        node.stop();
    }

    fn node_mut(&mut self, port: u16) -> &mut Process {
        self.nodes
            .iter_mut()
            .find(|n| n.port == port)
            .unwrap_or_else(|| panic!("no cluster node on port {port}"))
    }

    /// Moves `slots` hash slots (with their keys, by MIGRATE) from the primary on `from` to
    /// the primary on `to`, as an operator's `redis-cli --cluster reshard` does; clients
    /// meanwhile meet ASK and then MOVED redirections. Returns how long it took.
    pub fn reshard(&self, from: u16, to: u16, slots: u32) -> Duration {
        let id = |port: u16| redis_cli(port, &["cluster", "myid"]).trim().to_owned();
        let started = Instant::now();
        redis_cli_cluster(&[
            "reshard".to_owned(),
            format!("127.0.0.1:{from}"),
            "--cluster-from".to_owned(),
            id(from),
            "--cluster-to".to_owned(),
            id(to),
            "--cluster-slots".to_owned(),
            slots.to_string(),
        ]);
        started.elapsed()
    }

    /// Starts the node on `port` again with its cluster state: a killed primary whose
    /// replica took over rejoins as that replica's replica.
    pub fn revive(&mut self, port: u16) {
        self.node_mut(port).restart();
    }
}

/// What `redis-cli -p port args…` printed (empty when the node does not answer).
fn redis_cli(port: u16, args: &[&str]) -> String {
    Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

/// Runs `redis-cli --cluster args… --cluster-yes` and fails the test if it fails.
fn redis_cli_cluster(args: &[String]) {
    let output = Command::new("redis-cli")
        .arg("--cluster")
        .args(args)
        .arg("--cluster-yes")
        .output()
        .expect("redis-cli on PATH (scripts/test.sh installs it)");
    assert!(
        output.status.success(),
        "redis-cli --cluster {}: {}",
        args[0],
        String::from_utf8_lossy(&output.stdout)
    );
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

/// Every key matching `pattern` (SCAN, on every primary when `client` is on a cluster).
pub async fn keys_matching(client: &fred::prelude::Client, pattern: &str) -> Vec<String> {
    use fred::prelude::ClientLike;
    use fred::types::scan::Scanner;
    use futures_util::{StreamExt, TryStreamExt};
    let mut pages = if client.is_clustered() {
        client.scan_cluster(pattern, Some(500), None).boxed()
    } else {
        client.scan(pattern, Some(500), None).boxed()
    };
    let mut keys = Vec::new();
    while let Some(mut page) = pages.try_next().await.expect("SCAN") {
        let found = page.take_results().unwrap_or_default();
        keys.extend(
            found
                .iter()
                .filter_map(|k| k.as_str().map(|k| k.to_string())),
        );
        page.next();
    }
    keys
}
