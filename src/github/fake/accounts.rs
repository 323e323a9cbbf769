//! The people the fake GitHub knows, and how `/user` and `/user/emails` show them.

use serde_json::{json, Value};

/// A GitHub account as `/user` shows it.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub login: String,
    pub name: Option<String>,
    /// The public email (`null` for most people).
    pub email: Option<String>,
    /// What `/user/emails` lists.
    pub emails: Vec<Value>,
    /// Organisation logins, for `/user/orgs`.
    pub orgs: Vec<String>,
    /// Teams as `org/team-slug`, for `/user/teams`.
    pub teams: Vec<String>,
}

impl Account {
    /// GitHub's own example account, with a public email.
    pub fn octocat() -> Account {
        Account {
            id: 583231,
            login: "octocat".into(),
            name: Some("The Octocat".into()),
            email: Some("octocat@github.example".into()),
            emails: vec![email("octocat@github.example", true, "public")],
            orgs: vec![],
            teams: vec![],
        }
    }

    /// The attacker of the login CSRF tests.
    pub fn mallory() -> Account {
        Account {
            id: 666,
            login: "mallory".into(),
            name: Some("Mallory Attacker".into()),
            email: Some("mallory@github.example".into()),
            emails: vec![email("mallory@github.example", true, "public")],
            orgs: vec![],
            teams: vec![],
        }
    }

    /// Demo mode's person. Like most people: no public email, so the app asks
    /// `/user/emails`, where the primary address is not the first one.
    pub fn demo() -> Account {
        Account {
            id: 583231,
            login: "demo-octocat".into(),
            name: Some("Demo Octocat".into()),
            email: None,
            emails: vec![
                email("old@example.com", false, "null"),
                email("demo@example.com", true, "private"),
            ],
            orgs: vec![],
            teams: vec![],
        }
    }

    /// One of many people (the benchmark's returning users): `user{id}`, no public email.
    pub fn numbered(id: i64) -> Account {
        Account {
            id,
            login: format!("user{id}"),
            name: Some(format!("User {id}")),
            email: None,
            emails: vec![
                email(&format!("old{id}@example.com"), false, "null"),
                email(&format!("user{id}@example.com"), true, "private"),
            ],
            orgs: vec![],
            teams: vec![],
        }
    }

    /// `GET /user`, abridged: GitHub also sends `node_id`, `html_url`, `type`, `created_at` and
    /// more. `name` and `email` (the public address only) may be `null`; `id` is the account's
    /// for life, while a `login` can be renamed and a freed one taken by someone else.
    /// `avatar_url` is GitHub's avatar host unless the fake serves every avatar from elsewhere.
    pub(super) fn user_json(&self, avatar_url: Option<&str>) -> Value {
        let avatar = avatar_url.map_or_else(
            || format!("https://avatars.githubusercontent.com/u/{}?v=4", self.id),
            str::to_owned,
        );
        json!({
            "login": self.login,
            "id": self.id,
            "node_id": "MDQ6VXNlcjU4MzIzMQ==",
            "avatar_url": avatar,
            "html_url": format!("https://github.com/{}", self.login),
            "type": "User",
            "name": self.name,
            "email": self.email,
            "created_at": "2011-01-25T18:44:36Z",
        })
    }
}

/// One entry of `/user/emails`, all verified; `visibility` `"null"` is JSON `null`.
pub fn email(address: &str, primary: bool, visibility: &str) -> Value {
    let visibility = (visibility != "null").then_some(visibility);
    json!({ "email": address, "primary": primary, "verified": true, "visibility": visibility })
}
