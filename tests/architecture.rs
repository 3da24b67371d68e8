//! The workspace's layering, checked from the sources:
//!
//! - crates depend one way: `core, topologies <- engine <- hw <- sim <- experiments, traces <-
//!   reports <- ruvsim` (each crate's `Cargo.toml` names only crates of lower layers);
//! - inside every crate, the modules under each parent form no cycle: a module's files refer (by
//!   `crate::` or `super::` paths, or through the crate root's re-exports) to sibling modules
//!   that never refer back, directly or through others. Test modules are left out: they may use
//!   anything.
//!
//! Both checks read the files as text, so a new module or dependency is checked without being
//! listed anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Every crate of the workspace with its layer: a crate may depend only on lower layers.
const LAYERS: [(&str, &str, u32); 9] = [
    ("core", "ruvsim-core", 0),
    ("topologies", "ruvsim-topologies", 0),
    ("engine", "ruvsim-engine", 1),
    ("hw", "ruvsim-hw", 2),
    ("sim", "ruvsim-sim", 3),
    ("experiments", "ruvsim-experiments", 4),
    ("traces", "ruvsim-traces", 4),
    ("reports", "ruvsim-reports", 5),
    ("", "ruvsim", 6),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `ruvsim-*` packages named in the `[dependencies]` table of a manifest.
fn dependencies(manifest: &str) -> Vec<String> {
    let mut in_dependencies = false;
    let mut found = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
            continue;
        }
        if in_dependencies && line.starts_with("ruvsim-") {
            if let Some((name, _)) = line.split_once('=') {
                found.push(name.trim().to_string());
            }
        }
    }
    found
}

#[test]
fn crates_depend_only_on_lower_layers() {
    let layer_of: BTreeMap<&str, u32> = LAYERS.iter().map(|&(_, n, l)| (n, l)).collect();
    let mut violations = Vec::new();
    for (dir, name, layer) in LAYERS {
        let manifest = fs::read_to_string(root().join(dir).join("Cargo.toml")).unwrap();
        for dependency in dependencies(&manifest) {
            match layer_of.get(dependency.as_str()) {
                Some(&lower) if lower < layer => {}
                Some(&other) => violations.push(format!(
                    "{name} (layer {layer}) depends on {dependency} (layer {other})"
                )),
                None => violations.push(format!("{name} depends on unknown crate {dependency}")),
            }
        }
    }
    assert!(violations.is_empty(), "{violations:#?}");
}

/// A source file's module path inside its crate (`["cluster", "graph"]`), or `None` for a test
/// module.
fn module_path(src: &Path, file: &Path) -> Option<Vec<String>> {
    let relative = file.strip_prefix(src).ok()?;
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop()?;
    let stem = last.strip_suffix(".rs")?;
    if stem == "tests" || parts.iter().any(|p| p == "tests") {
        return None;
    }
    if !matches!(stem, "lib" | "main" | "mod") {
        parts.push(stem.to_string());
    }
    Some(parts)
}

/// The text of a file without its `#[cfg(test)] mod tests { ... }` block (by convention the
/// file's last item) and without comments.
fn code_without_tests(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests {") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The module a name exported by the crate root (`pub use module::{Name, ...}`) comes from.
fn root_exports(root_text: &str) -> BTreeMap<String, String> {
    let mut exports = BTreeMap::new();
    let flat = root_text.replace('\n', " ");
    for statement in flat.split(';') {
        let Some(rest) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, names)) = rest.split_once("::") else {
            continue;
        };
        let names = names.trim().trim_start_matches('{').trim_end_matches('}');
        for name in names.split(',') {
            let name = name.trim().rsplit("::").next().unwrap_or("").trim();
            if !name.is_empty() {
                exports.insert(name.to_string(), module.trim().to_string());
            }
        }
    }
    exports
}

/// The absolute module paths a file refers to: `crate::a::b` (a `crate::{...}` group counts
/// each name) and `super::x` resolved against the file's own module.
fn references(code: &str, own: &[String]) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let path_from = |s: &str| -> Vec<String> {
        s.split("::")
            .map(ident)
            .take_while(|p| !p.is_empty())
            .collect()
    };
    for (at, _) in code.match_indices("crate::") {
        if at > 0 {
            let before = code[..at].chars().last().unwrap_or(' ');
            if before.is_alphanumeric() || before == '_' {
                continue;
            }
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let path = path_from(item.trim());
                if !path.is_empty() {
                    found.push(path);
                }
            }
        } else {
            found.push(path_from(rest));
        }
    }
    // `super` is the parent of the file's module (`a` from `a/b.rs`, the root from `a/mod.rs`).
    let parent: Vec<String> = own[..own.len().saturating_sub(1)].to_vec();
    for (at, _) in code.match_indices("super::") {
        if at > 0 {
            let before = code[..at].chars().last().unwrap_or(' ');
            if before.is_alphanumeric() || before == '_' || before == ':' {
                continue;
            }
        }
        let rest = &code[at + "super::".len()..];
        let names: Vec<Vec<String>> = match rest.strip_prefix('{') {
            Some(group) => {
                let end = group.find('}').unwrap_or(group.len());
                group[..end]
                    .split(',')
                    .map(|item| path_from(item.trim()))
                    .collect()
            }
            None => vec![path_from(rest)],
        };
        for name in names.into_iter().filter(|n| !n.is_empty()) {
            let mut path = parent.clone();
            path.extend(name);
            found.push(path);
        }
    }
    found
}

/// Sibling-module cycles in the crate whose sources are in `src`.
fn cycles_in(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let root_text = ["lib.rs", "main.rs"]
        .iter()
        .find_map(|f| fs::read_to_string(src.join(f)).ok())
        .unwrap_or_default();
    let exports = root_exports(&code_without_tests(&root_text));
    let modules: BTreeSet<Vec<String>> = files.iter().filter_map(|f| module_path(src, f)).collect();
    // Edges between siblings: from the child of their common parent that holds the referring
    // file to the child that holds the referred module.
    let mut edges: BTreeSet<(Vec<String>, Vec<String>)> = BTreeSet::new();
    for file in &files {
        let Some(own) = module_path(src, file) else {
            continue;
        };
        let code = code_without_tests(&fs::read_to_string(file).unwrap());
        for mut target in references(&code, &own) {
            // A name the root re-exports stands for its module.
            if target.len() == 1 && !modules.contains(&target) {
                match exports.get(&target[0]) {
                    Some(module) => target = vec![module.clone()],
                    None => continue,
                }
            }
            // The longest module prefix of the referred path.
            let Some(target) = (1..=target.len())
                .rev()
                .map(|n| target[..n].to_vec())
                .find(|p| modules.contains(p))
            else {
                continue;
            };
            let common = own.iter().zip(&target).take_while(|(a, b)| a == b).count();
            if common == own.len() || common == target.len() {
                continue; // a module and its own descendants or ancestors
            }
            edges.insert((own[..=common].to_vec(), target[..=common].to_vec()));
        }
    }
    let mut graph: BTreeMap<Vec<String>, Vec<Vec<String>>> = BTreeMap::new();
    for (from, to) in edges {
        graph.entry(from).or_default().push(to);
    }
    // Each cycle is reported once, from its smallest module.
    let mut cycles = Vec::new();
    for start in graph.keys() {
        // Depth-first search for a path back to `start`.
        let mut stack = vec![(start.clone(), vec![start.join("::")])];
        let mut seen = BTreeSet::new();
        while let Some((node, path)) = stack.pop() {
            for next in graph.get(&node).into_iter().flatten() {
                if next == start {
                    if path.iter().all(|m| *m >= start.join("::")) {
                        cycles.push(format!("{} -> {}", path.join(" -> "), start.join("::")));
                    }
                } else if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.join("::"));
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    cycles
}

#[test]
fn no_crate_has_a_module_cycle() {
    let mut all = Vec::new();
    for (dir, name, _) in LAYERS {
        for cycle in cycles_in(&root().join(dir).join("src")) {
            all.push(format!("{name}: {cycle}"));
        }
    }
    assert!(all.is_empty(), "module cycles:\n{}", all.join("\n"));
}

#[test]
fn the_cycle_check_finds_a_planted_cycle() {
    let dir = std::env::temp_dir().join(format!("ruvsim-architecture-{}", std::process::id()));
    let src = dir.join("src");
    fs::create_dir_all(src.join("b")).unwrap();
    fs::write(
        src.join("lib.rs"),
        "pub mod a;\npub mod b;\npub use a::Thing;\n",
    )
    .unwrap();
    fs::write(
        src.join("a.rs"),
        "use crate::b::helper::Other;\npub struct Thing;\n",
    )
    .unwrap();
    fs::write(src.join("b/mod.rs"), "pub mod helper;\n").unwrap();
    fs::write(
        src.join("b/helper.rs"),
        "use crate::Thing;\npub struct Other;\n#[cfg(test)]\nmod tests {\n    use crate::a::Thing;\n}\n",
    )
    .unwrap();
    let cycles = cycles_in(&src);
    fs::remove_dir_all(&dir).unwrap();
    assert_eq!(cycles, ["a -> b -> a"]);
}
