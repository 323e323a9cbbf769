//! The layers `src/lib.rs` declares hold: every `crate::…` path in a folder (grouped ones,
//! `crate::{a, b::{c}}`, name each of theirs) names only folders declared before it, so no
//! import goes up a layer and no cycle can form. Inside a folder, no two files use each other,
//! directly or through others; a file using its own parent or child module is not counted.

mod imports;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use imports::{paths, without_comments};

/// The top-level modules in the order `src/lib.rs` declares them: the layers, bottom up.
fn layers(src: &Path) -> Vec<String> {
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    lib.lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = line
                .strip_prefix("pub mod ")
                .or_else(|| line.strip_prefix("pub(crate) mod "))
                .or_else(|| line.strip_prefix("mod "))?;
            Some(rest.trim_end_matches(';').to_owned())
        })
        .collect()
}

/// A file's module path: `auth.rs` is `[auth]`, `auth/session.rs` `[auth, session]`, and
/// `a/b/mod.rs` `[a, b]`.
type Module = Vec<String>;

/// Every `.rs` file of the library under `src/` (not `lib.rs`, `main.rs`, `bin/`): its module
/// path and its code without comments.
fn files(src: &Path) -> BTreeMap<Module, String> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<Module, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let mut module = prefix.to_vec();
            if path.is_dir() {
                module.push(name);
                walk(&path, &module, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                if name != "mod" {
                    module.push(name);
                }
                let code = without_comments(&std::fs::read_to_string(&path).unwrap());
                out.insert(module, code);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(src, &[], &mut out);
    out.retain(|module, _| !matches!(module[0].as_str(), "lib" | "main" | "bin"));
    out
}

/// The top-level modules a file's code (its comments left out) names with `crate::`.
fn uses(code: &str) -> Vec<String> {
    paths(code)
        .into_iter()
        .filter(|path| path[0] == "crate" && path.len() > 1)
        .map(|path| path[1].clone())
        .collect()
}

#[test]
fn the_import_reader_sees_every_name_of_a_group() {
    let code = "use crate::{a, b::{c, d as e}};\nuse crate::{f::x, g::{y, z}}; // crate::h\n\
                use super::{self, i::*};\nlet _ = crate::j::k(1);";

    let code = without_comments(code);
    let found: BTreeSet<String> = uses(&code).into_iter().collect();

    let expected = ["a", "b", "f", "g", "j"].map(String::from);
    assert_eq!(found, BTreeSet::from(expected));
    let all = paths(&code);
    for path in [
        &["crate", "b", "d"][..],
        &["crate", "g", "z"],
        &["super"],
        &["super", "i"],
    ] {
        assert!(all.iter().any(|p| p == path), "{path:?} in {all:?}");
    }
}

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let order = layers(&src);
    assert!(order.len() >= 8, "lib.rs declares {order:?}");
    let rank: HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i))
        .collect();

    let mut upward = Vec::new();
    for (module, code) in &files(&src) {
        // A file `src/lib.rs` does not declare is not compiled.
        let Some(&own) = rank.get(module[0].as_str()) else {
            continue;
        };
        for used in uses(code) {
            if rank.get(used.as_str()).is_some_and(|&other| other > own) {
                upward.push(format!("{} uses {used}", module[0]));
            }
        }
    }
    upward.sort();
    upward.dedup();
    assert!(
        upward.is_empty(),
        "imports that go up a layer (src/lib.rs lists the layers bottom up): {upward:?}"
    );
}

/// The other files of its own folder each file uses, through `crate::`, `super::`, `self::`
/// or a child module it declares. A file and its own parent or children are not counted.
fn uses_in_folder(files: &BTreeMap<Module, String>) -> BTreeMap<&Module, BTreeSet<&Module>> {
    let mut graph = BTreeMap::new();
    for (module, code) in files {
        let children: BTreeSet<&str> = code
            .lines()
            .filter_map(|line| {
                let line = line.trim();
                let line = line.strip_prefix("pub ").unwrap_or(line);
                let line = line.strip_prefix("pub(crate) ").unwrap_or(line);
                line.strip_prefix("mod ")?.strip_suffix(';')
            })
            .collect();
        let mut targets = BTreeSet::new();
        for path in paths(code) {
            let (head, rest) = (path[0].as_str(), &path[1..]);
            let absolute: Module = match head {
                "crate" => rest.to_vec(),
                "self" => [&module[..], rest].concat(),
                "super" => {
                    let ups = 1 + rest.iter().take_while(|s| *s == "super").count();
                    let base = &module[..module.len().saturating_sub(ups)];
                    [base, &rest[ups - 1..]].concat()
                }
                _ if children.contains(head) => [&module[..], &path[..]].concat(),
                _ => continue,
            };
            let Some(target) = (1..=absolute.len())
                .rev()
                .find_map(|k| files.get_key_value(&absolute[..k]).map(|(m, _)| m))
            else {
                continue;
            };
            let related = target.starts_with(module) || module.starts_with(target);
            if target[0] == module[0] && !related {
                targets.insert(target);
            }
        }
        graph.insert(module, targets);
    }
    graph
}

#[test]
fn no_two_files_of_a_folder_use_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = files(&src);
    let graph = uses_in_folder(&files);
    // Which files each file reaches, through any number of others.
    let reach = |from: &Module| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from];
        while let Some(at) = todo.pop() {
            for next in &graph[at] {
                if seen.insert(*next) {
                    todo.push(next);
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&Module, BTreeSet<&Module>> =
        graph.keys().map(|m| (*m, reach(m))).collect();

    let mut cycles = BTreeSet::new();
    for (module, reached) in &reaches {
        let cycle: BTreeSet<String> = reached
            .iter()
            .filter(|other| reaches[*other].contains(module))
            .map(|m| format!("src/{}.rs", m.join("/")))
            .collect();
        if !cycle.is_empty() {
            cycles.insert(cycle.into_iter().collect::<Vec<_>>().join(" <-> "));
        }
    }
    assert!(
        cycles.is_empty(),
        "files of one folder that use each other, directly or through others \
         (move what both need into a file both use): {cycles:#?}"
    );
}
