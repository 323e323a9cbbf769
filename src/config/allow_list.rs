//! `ALLOWED_GITHUB_USERS` and `ALLOWED_GITHUB_ORGS`, as written by the operator and parsed
//! once at start-up. The decisions made with them are in `access/lists.rs`.
//!
//! Every user entry means one GitHub account, never "whoever holds this login today":
//! GitHub frees renamed and deleted logins for anyone to claim. `1001` and `alice:1001` name
//! the account by its id; a bare `alice` is pinned, in the store, to the id of the first
//! account admitted under it (see `access/lists.rs`, `pin_and_decide`).

/// Who may sign in. Both lists empty: anyone with a GitHub account.
#[derive(Debug, Clone, Default)]
pub struct AccessRules {
    pub users: Vec<AllowedUser>,
    /// Lowercased organisation logins.
    pub orgs: Vec<String>,
}

/// One entry of `ALLOWED_GITHUB_USERS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedUser {
    /// `alice`: lowercased; means the account pinned to it.
    Login(String),
    /// `1001` or `alice:1001`: the account with this GitHub id, whatever its login (the
    /// login written before the colon is only a reminder for the reader of the setting).
    Id(i64),
}

impl AccessRules {
    pub fn is_open(&self) -> bool {
        self.users.is_empty() && self.orgs.is_empty()
    }

    /// True when an entry names this GitHub id.
    pub fn allows_id(&self, github_id: i64) -> bool {
        self.users.contains(&AllowedUser::Id(github_id))
    }

    /// The login entry that `login` matches (GitHub logins are case-insensitive), if any.
    pub fn login_entry(&self, login: &str) -> Option<&str> {
        self.logins()
            .find(|entry| entry.eq_ignore_ascii_case(login))
    }

    /// The bare login entries, lowercased.
    pub fn logins(&self) -> impl Iterator<Item = &str> {
        self.users.iter().filter_map(|u| match u {
            AllowedUser::Login(login) => Some(login.as_str()),
            AllowedUser::Id(_) => None,
        })
    }

    pub fn allows_org(&self, org: &str) -> bool {
        self.orgs.iter().any(|o| o.eq_ignore_ascii_case(org))
    }
}

/// GitHub logins and organisation names: ASCII letters, digits, `-` and `_` (Enterprise
/// Managed Users' logins end in `_shortcode`), at most 100 characters, never starting with
/// `-`.
pub fn is_github_name(name: &str) -> bool {
    (1..=100).contains(&name.len())
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// One `ALLOWED_GITHUB_USERS` entry, trimmed; `None` if it is none of the three forms.
pub fn parse_user(entry: &str) -> Option<AllowedUser> {
    let id = |digits: &str| {
        digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse::<i64>().ok().filter(|id| *id > 0))
            .flatten()
    };
    match entry.split_once(':') {
        Some((login, digits)) if is_github_name(login) => id(digits).map(AllowedUser::Id),
        Some(_) => None,
        // Bare digits always mean an id, never a login.
        None if !entry.is_empty() && entry.bytes().all(|b| b.is_ascii_digit()) => {
            id(entry).map(AllowedUser::Id)
        }
        None if is_github_name(entry) => Some(AllowedUser::Login(entry.to_ascii_lowercase())),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_entry_is_a_login_an_id_or_both() {
        assert_eq!(
            parse_user("Alice"),
            Some(AllowedUser::Login("alice".into()))
        );
        assert_eq!(
            parse_user("emu_acme"),
            Some(AllowedUser::Login("emu_acme".into()))
        );
        assert_eq!(parse_user("1001"), Some(AllowedUser::Id(1001)));
        assert_eq!(parse_user("alice:1001"), Some(AllowedUser::Id(1001)));
        for bad in [
            "",
            "0",
            "-5",
            "alice:",
            ":1001",
            "alice:x",
            "alice:0",
            "a b",
            "a:1:2",
            "99999999999999999999",
            "alice:-1",
            "al\u{e9}",
        ] {
            assert_eq!(parse_user(bad), None, "{bad:?} was accepted");
        }
        assert_eq!(parse_user(&"a".repeat(101)), None);
        assert!(
            parse_user(&"a".repeat(100)).is_some(),
            "100 characters are a login"
        );
    }

    #[test]
    fn logins_match_case_insensitively_and_ids_exactly() {
        let rules = AccessRules {
            users: ["alice", "2002", "bob:3003"]
                .into_iter()
                .map(|e| parse_user(e).unwrap())
                .collect(),
            orgs: vec![],
        };
        assert_eq!(rules.login_entry("ALICE"), Some("alice"));
        assert_eq!(rules.login_entry("bob"), None, "bob:3003 is an id entry");
        assert!(rules.allows_id(2002) && rules.allows_id(3003) && !rules.allows_id(1));
        assert!(!rules.is_open());
    }
}
