//! The README and the pages in `docs/` link to source files, examples and each other by
//! relative paths. When a file moves or a section changes its heading, a link goes dead
//! without any build noticing: these tests read every page and follow every relative link.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// `README.md` and every `.md` file under `docs/`.
fn pages(root: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    let mut out = vec![root.join("README.md")];
    walk(&root.join("docs"), &mut out);
    out.sort();
    out
}

/// The page's lines outside fenced code blocks: a `#` or `](` inside a block of shell or
/// nginx configuration is neither a heading nor a link.
fn prose(text: &str) -> Vec<&str> {
    let mut fenced = false;
    text.lines()
        .filter(|line| {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                return false;
            }
            !fenced
        })
        .collect()
}

/// The prose with its code spans (`` `…` ``) taken out, paragraph by paragraph (a span may
/// wrap onto the next line, never into the next paragraph).
fn without_code_spans(text: &str) -> String {
    prose(text)
        .join("\n")
        .split("\n\n")
        .map(|paragraph| paragraph.split('`').step_by(2).collect::<Vec<_>>().join(""))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The destination of every `[text](destination)` and `![alt](destination)` in the page
/// that is not a web or mail address.
fn relative_links(text: &str) -> Vec<String> {
    without_code_spans(text)
        .split("](")
        .skip(1)
        .filter_map(|rest| {
            let destination = rest.split([')', ' ']).next().unwrap_or_default();
            let web = ["http://", "https://", "mailto:"]
                .iter()
                .any(|scheme| destination.starts_with(scheme));
            (!web).then(|| destination.to_owned())
        })
        .collect()
}

/// A heading's anchor as GitHub makes it: lowercase, punctuation other than `-` and `_`
/// dropped (backticks and colons included), spaces made hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Every anchor a page's headings make; a repeated heading gets `-1`, `-2`, … as on GitHub.
fn anchors(text: &str) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for line in prose(text) {
        let level = line.chars().take_while(|c| *c == '#').count();
        if !(1..=6).contains(&level) || !line[level..].starts_with(' ') {
            continue;
        }
        let base = slug(line[level..].trim_end_matches('#'));
        let times = seen.entry(base.clone()).or_default();
        out.push(match *times {
            0 => base,
            n => format!("{base}-{n}"),
        });
        *times += 1;
    }
    out
}

/// Each relative link of every page, as (the page, the link, the file it names).
fn every_link(root: &Path) -> Vec<(PathBuf, String, PathBuf)> {
    pages(root)
        .into_iter()
        .flat_map(|page| {
            let text = std::fs::read_to_string(&page).unwrap();
            relative_links(&text)
                .into_iter()
                .map(|link| {
                    let path = link.split('#').next().unwrap_or_default();
                    let target = if path.is_empty() {
                        page.clone()
                    } else {
                        page.parent().unwrap().join(path)
                    };
                    (page.clone(), link, target)
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn every_relative_link_in_the_readme_and_the_docs_names_a_file_that_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        pages(root).len() >= 6,
        "README.md and the five pages of docs/: {:?}",
        pages(root)
    );
    let links = every_link(root);
    assert!(
        links.len() >= 100,
        "only {} relative links found",
        links.len()
    );
    let dead: Vec<String> = links
        .iter()
        .filter(|(_, _, target)| !target.exists())
        .map(|(page, link, _)| format!("{}: ({link})", page.strip_prefix(root).unwrap().display()))
        .collect();
    assert!(
        dead.is_empty(),
        "links to files that do not exist:\n{}",
        dead.join("\n")
    );
}

#[test]
fn every_anchor_in_the_readme_and_the_docs_names_a_heading_of_its_page() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let with_anchors: Vec<_> = every_link(root)
        .into_iter()
        .filter(|(_, link, target)| {
            link.contains('#') && target.extension().is_some_and(|e| e == "md")
        })
        .collect();
    assert!(
        with_anchors.len() >= 10,
        "only {} anchors found",
        with_anchors.len()
    );
    let dead: Vec<String> = with_anchors
        .iter()
        .filter(|(_, link, target)| {
            let anchor = link.split_once('#').unwrap().1;
            let text = std::fs::read_to_string(target).unwrap_or_default();
            !anchors(&text).iter().any(|a| a == anchor)
        })
        .map(|(page, link, _)| format!("{}: ({link})", page.strip_prefix(root).unwrap().display()))
        .collect();
    assert!(
        dead.is_empty(),
        "anchors no heading makes:\n{}",
        dead.join("\n")
    );
}

#[test]
fn anchors_are_made_from_headings_as_github_makes_them() {
    let page = "# Running gitlogin\n\n\
        ## Several instances: PostgreSQL and a load balancer\n\n\
        ```sh\n# a comment in a code block\n```\n\n\
        ## The app registry: `gitlogin apps`\n\n\
        ### Notes\n\n### Notes\n\n#not-a-heading\n";
    assert_eq!(
        anchors(page),
        [
            "running-gitlogin",
            "several-instances-postgresql-and-a-load-balancer",
            "the-app-registry-gitlogin-apps",
            "notes",
            "notes-1",
        ]
    );
    assert_eq!(
        relative_links("[`src/auth.rs`](src/auth.rs), `[not](a-link)`, [web](https://x.example)\n![shot](docs/a.png \"title\") [here](#notes)"),
        ["src/auth.rs", "docs/a.png", "#notes"]
    );
}

/// Every test the attack table of `docs/security.md` names is there, in the file its path
/// names (`apis::refresh::x` is `fn x` in `tests/*/apis/refresh.rs`): a test renamed or
/// moved would otherwise leave an attack named for a test that no longer runs.
#[test]
fn every_test_the_attack_table_names_exists_where_its_path_says() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let table = std::fs::read_to_string(root.join("docs/security.md")).unwrap();
    let named: Vec<&str> = table
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|code| code.contains("::") && !code.contains('*'))
        .filter(|code| {
            code.chars()
                .all(|c| c.is_ascii_lowercase() || c == '_' || c == ':')
        })
        .collect();
    assert!(named.len() > 50, "found only {} test names", named.len());
    let mut missing = Vec::new();
    for path in &named {
        let (modules, name) = path.rsplit_once("::").unwrap();
        let modules = modules.replace("::", "/");
        let defines = |file: PathBuf| {
            std::fs::read_to_string(file).is_ok_and(|code| code.contains(&format!("fn {name}(")))
        };
        let found = ["api", "browser", "postgres"].iter().any(|suite| {
            let base = root.join("tests").join(suite);
            defines(base.join(format!("{modules}.rs")))
                || defines(base.join(&modules).join("mod.rs"))
        });
        if !found {
            missing.push(*path);
        }
    }
    assert!(
        missing.is_empty(),
        "docs/security.md names tests that are not there: {missing:?}"
    );
}
