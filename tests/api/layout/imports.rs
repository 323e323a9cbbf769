//! The paths a Rust file names, read as text: enough for the layout rules, no parser needed.

/// `code` without its `/* */` and `//` comments (a `//` inside a string literal is kept).
pub fn without_comments(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("/*") {
        out.push_str(&rest[..at]);
        rest = rest[at..]
            .find("*/")
            .map_or("", |end| &rest[at + end + 2..]);
    }
    out.push_str(rest);
    out.lines()
        .map(|line| {
            let mut in_string = false;
            let bytes = line.as_bytes();
            for i in 0..bytes.len() {
                if bytes[i] == b'"' && (i == 0 || bytes[i - 1] != b'\\') {
                    in_string = !in_string;
                } else if !in_string && line[i..].starts_with("//") {
                    return &line[..i];
                }
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Every path written in `code` that starts with `crate`, `super`, `self` or another name
/// followed by `::`, as its segments, each `{a, b::{c, d}}` group expanded into one path per
/// name (`self` in a group names the group's prefix; `as` renames and `*` are left off).
pub fn paths(code: &str) -> Vec<Vec<String>> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    for (at, _) in code.match_indices("::") {
        let start = (0..at).rev().take_while(|&i| is_ident(bytes[i])).last();
        let Some(start) = start else { continue };
        if start > 0 && (is_ident(bytes[start - 1]) || bytes[start - 1] == b':') {
            continue;
        }
        tree(bytes, &mut start.clone(), Vec::new(), &mut out);
    }
    out
}

/// Reads the use-tree at `bytes[*i..]` onto `prefix`, pushing each whole path to `out`.
fn tree(bytes: &[u8], i: &mut usize, mut prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let skip_space = |i: &mut usize| {
        while *i < bytes.len() && bytes[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    loop {
        skip_space(i);
        if bytes.get(*i) == Some(&b'{') {
            *i += 1;
            loop {
                skip_space(i);
                match bytes.get(*i) {
                    None => return,
                    Some(b'}') => {
                        *i += 1;
                        return;
                    }
                    Some(b',') => *i += 1,
                    Some(_) => {
                        let before = *i;
                        tree(bytes, i, prefix.clone(), out);
                        // Whatever no path starts with is stepped over.
                        *i = (*i).max(before + 1);
                    }
                }
            }
        }
        let start = *i;
        while *i < bytes.len() && is_ident(bytes[*i]) {
            *i += 1;
        }
        let name = String::from_utf8_lossy(&bytes[start..*i]).into_owned();
        if name.is_empty() {
            // `*`, `<` or `(` after `::`: the path so far is the whole path.
            out.extend((!prefix.is_empty()).then_some(prefix));
            return;
        }
        if name != "self" || prefix.is_empty() {
            prefix.push(name);
        }
        skip_space(i);
        if bytes[*i..].starts_with(b"::") {
            *i += 2;
            continue;
        }
        // `as x`: the path is the one before it.
        if bytes[*i..].starts_with(b"as") && bytes.get(*i + 2).is_some_and(|c| !is_ident(*c)) {
            *i += 2;
            skip_space(i);
            while *i < bytes.len() && is_ident(bytes[*i]) {
                *i += 1;
            }
        }
        out.push(prefix);
        return;
    }
}
