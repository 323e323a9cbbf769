//! The organisations and teams the registry's rules name: the only memberships the sign-in
//! asks GitHub about, and keeps.

use rocket_db_pools::sqlx::{self, AnyConnection};

/// Every organisation and every team (`org/team-slug`) some app's rules or some API's
/// grants name, lowercased: the sign-in asks GitHub about these.
pub async fn named_groups(conn: &mut AnyConnection) -> sqlx::Result<NamedGroups> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT kind, value FROM app_rules WHERE kind IN ('org', 'team')
         UNION SELECT kind, value FROM api_scope_grants WHERE kind IN ('org', 'team')
         ORDER BY 2",
    )
    .fetch_all(conn)
    .await?;
    let of = |kind: &str| {
        rows.iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, v)| v.clone())
            .collect()
    };
    Ok(NamedGroups {
        orgs: of("org"),
        teams: of("team"),
    })
}

/// What [`named_groups`] finds.
#[derive(Debug, Clone, Default)]
pub struct NamedGroups {
    pub orgs: Vec<String>,
    pub teams: Vec<String>,
}

impl NamedGroups {
    pub fn is_empty(&self) -> bool {
        self.orgs.is_empty() && self.teams.is_empty()
    }
}
