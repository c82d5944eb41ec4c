//! The documentation a clone carries: every link in README.md and docs/ resolves to a file
//! inside the repository, and nothing points outside it.

use std::path::{Path, PathBuf};

fn markdown_files(root: &Path) -> Vec<PathBuf> {
    let mut files = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).expect("docs/ exists") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    files
}

/// Targets of inline links `[text](target)`.
fn link_targets(text: &str) -> Vec<String> {
    text.match_indices("](")
        .filter_map(|(at, _)| {
            let rest = &text[at + 2..];
            rest.find(')').map(|end| rest[..end].to_owned())
        })
        .collect()
}

#[test]
fn every_documentation_link_resolves_inside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .canonicalize()
        .unwrap();
    let files = markdown_files(&root);
    assert!(files.len() >= 4, "README and three documents in docs/");
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(
            !text.contains("../shared"),
            "{} points outside",
            file.display()
        );
        for target in link_targets(&text) {
            if target.starts_with("http://") || target.starts_with("https://") {
                panic!("{}: external link {target}", file.display());
            }
            let path = target.split('#').next().unwrap_or("");
            if path.is_empty() {
                continue;
            }
            let resolved = file.parent().unwrap().join(path).canonicalize();
            let resolved =
                resolved.unwrap_or_else(|_| panic!("{}: {target} does not exist", file.display()));
            assert!(
                resolved.starts_with(&root),
                "{}: {target} leaves the repository",
                file.display()
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 10,
        "only {checked} links found: is the parser right?"
    );
}
