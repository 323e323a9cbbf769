//! `examples/traefik/dynamic.yml` cannot run here (Traefik is not in Debian), so this reads
//! it: a header list written out by hand is one a later edit can shorten.

const EXAMPLE: &str = include_str!("../../examples/traefik/dynamic.yml");

/// The headers gitlogin's answer sets, which Traefik hands on to the app.
const IDENTITY_HEADERS: [&str; 4] = [
    "X-Auth-Request-User",
    "X-Auth-Request-Email",
    "X-Auth-Request-Github-Id",
    "X-Auth-Request-Groups",
];

/// Every spelling of `name` with at least one of its dashes an underscore.
fn underscore_twins(name: &str) -> Vec<String> {
    let parts: Vec<&str> = name.split('-').collect();
    let separators = parts.len() - 1;
    (1..1u32 << separators)
        .map(|mask| {
            let mut spelled = parts[0].to_owned();
            for (i, part) in parts[1..].iter().enumerate() {
                spelled.push(if mask & (1 << i) != 0 { '_' } else { '-' });
                spelled.push_str(part);
            }
            spelled
        })
        .collect()
}

#[test]
fn behind_traefik_every_underscore_twin_of_an_identity_header_is_deleted_before_the_check() {
    let mut twins = 0;
    for name in IDENTITY_HEADERS {
        for twin in underscore_twins(name) {
            let deletion = format!("\n          {twin}: \"\"\n");
            assert!(EXAMPLE.contains(&deletion), "{twin} is not deleted");
            twins += 1;
        }
    }
    assert_eq!(twins, 7 + 7 + 15 + 7);
    // The deletions run first: a middleware's place in the router's list is its order.
    let chain = "      middlewares:\n        - no-underscore-twins\n        - gitlogin\n";
    assert!(
        EXAMPLE.contains(chain),
        "the wiki's middlewares are out of order"
    );
}
