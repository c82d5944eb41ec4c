//! The binary's command line, run as a user would.

use std::process::Command;

fn run(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_product-catalog"))
        .args(args)
        .env("APP_PORT", "not-a-port")
        .output()
        .expect("the binary runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), text)
}

#[test]
fn help_and_version_succeed_whatever_the_environment() {
    let (code, help) = run(&["--help"]);
    assert_eq!(code, 0, "{help}");
    for command in ["serve", "seed", "reconcile"] {
        assert!(help.contains(command), "{help}");
    }
    let (code, version) = run(&["--version"]);
    assert_eq!(code, 0);
    assert_eq!(
        version.trim(),
        format!("product-catalog {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn serve_help_lists_every_variable_and_mistakes_exit_2() {
    let (code, help) = run(&["serve", "--help"]);
    assert_eq!(code, 0);
    for variable in [
        "REDIS_URL",
        "REDIS_CACHE_URL",
        "CACHE_LIST_FILL_BUDGET",
        "RUST_LOG",
    ] {
        assert!(help.contains(variable), "{variable} in {help}");
    }
    let (code, text) = run(&["seed", "many"]);
    assert_eq!(code, 2, "{text}");
    let (code, text) = run(&["frobnicate"]);
    assert_eq!(code, 2, "{text}");
    let (code, text) = run(&[]);
    assert_eq!(code, 2, "a bad setting is reported: {text}");
    assert!(text.contains("APP_PORT"), "{text}");
}
