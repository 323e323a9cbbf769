//! What one measurement yields, and the stores and scenarios it is made on.

// The other modules' items, through the crate root (main.rs re-exports them).
#[allow(unused_imports)]
use crate::*;
use std::collections::HashMap;
use std::time::Duration;

/// The table, once for the terminal and once for `results.md`.
pub(crate) struct Report {
    pub(crate) table: String,
    pub(crate) markdown: String,
}

/// One store with its own app and its own fake GitHub.
pub(crate) struct Store {
    pub(crate) rows: u64,
    /// Live refresh families seeded beside the people (`family_seed.rs`): 0 in the first.
    pub(crate) families: u64,
    pub(crate) app: App,
    pub(crate) github: FakeGithub,
    /// The bench user's cookies, as the app set them at the end of a real sign-in.
    pub(crate) session_cookie: String,
    pub(crate) first_start: Duration,
    pub(crate) starts: Vec<Duration>,
    pub(crate) figures: HashMap<Scenario, Figures>,
    /// A service's grant and an API's introspection, as this store's app answers them;
    /// registered only when a run measures them.
    pub(crate) api_calls: Option<ApiCalls>,
    /// The app the provider's scenarios sign in to, consented to by the bench user;
    /// registered only when a run measures them.
    pub(crate) relying_party: Option<RelyingParty>,
    /// Where the app's store is, for reading what the load left in it.
    pub(crate) database_url: String,
}

impl Store {
    pub(crate) fn target(&self) -> Target<'_> {
        Target {
            url: &self.app.url,
            session_cookie: &self.session_cookie,
            api_calls: self.api_calls.as_ref(),
            relying_party: self.relying_party.as_ref(),
            database_url: &self.database_url,
            apps: vec![self.app.pid()],
            database: None,
            proxy: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Scenario {
    Health,
    Home,
    About,
    Tampered,
    SignIn,
    ClientCredentials,
    Introspect,
    ForwardAuth,
    ForwardAuthApp,
    Userinfo,
    Jwks,
    Discovery,
    Refresh,
    CodeExchange,
}

impl Scenario {
    pub(crate) const ALL: [Scenario; 14] = [
        Scenario::Health,
        Scenario::Home,
        Scenario::About,
        Scenario::Tampered,
        Scenario::SignIn,
        Scenario::ClientCredentials,
        Scenario::Introspect,
        Scenario::ForwardAuth,
        Scenario::ForwardAuthApp,
        Scenario::Userinfo,
        Scenario::Jwks,
        Scenario::Discovery,
        Scenario::Refresh,
        Scenario::CodeExchange,
    ];

    /// The scenarios read beside `GET /` of the same run: a run measuring one of them
    /// measures `GET /` too.
    pub(crate) const BESIDE_HOME: [Scenario; 7] = [
        Scenario::ForwardAuth,
        Scenario::ForwardAuthApp,
        Scenario::Userinfo,
        Scenario::Jwks,
        Scenario::Discovery,
        Scenario::Refresh,
        Scenario::CodeExchange,
    ];

    pub(crate) fn label(self, settings: &Settings) -> String {
        match self {
            Scenario::Health => "GET /health".into(),
            Scenario::Home => "GET / (signed out)".into(),
            Scenario::About => "GET /about (session)".into(),
            Scenario::Tampered => "GET /about (tampered cookie)".into(),
            Scenario::SignIn => format!("sign-ins, {} clients", settings.sign_in_clients),
            Scenario::ClientCredentials => "POST /oauth/token (client_credentials, a JWT)".into(),
            Scenario::Introspect => "POST /oauth/introspect (a JWT)".into(),
            Scenario::ForwardAuth => "GET /auth/check (session, no app)".into(),
            Scenario::ForwardAuthApp => "GET /auth/check?app= (session, org rule)".into(),
            Scenario::Userinfo => "GET /oauth/userinfo (Bearer)".into(),
            Scenario::Jwks => "GET /.well-known/jwks.json".into(),
            Scenario::Discovery => "GET /.well-known/openid-configuration".into(),
            Scenario::Refresh => format!("refresh grants, {} clients", settings.flow_clients),
            Scenario::CodeExchange => {
                format!("code exchanges, {} clients", settings.flow_clients)
            }
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Scenario::Health => "health",
            Scenario::Home => "home",
            Scenario::About => "about",
            Scenario::Tampered => "tampered",
            Scenario::SignIn => "sign-ins",
            Scenario::ClientCredentials => "client-credentials",
            Scenario::Introspect => "introspect",
            Scenario::ForwardAuth => "forward-auth",
            Scenario::ForwardAuthApp => "forward-auth-app",
            Scenario::Userinfo => "userinfo",
            Scenario::Jwks => "jwks",
            Scenario::Discovery => "discovery",
            Scenario::Refresh => "refresh",
            Scenario::CodeExchange => "code-exchange",
        }
    }
}

/// Throughput and latency of one measurement.
#[derive(Clone, Default)]
pub(crate) struct Figures {
    pub(crate) per_sec: f64,
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
    /// Requests (or sign-ins) that did not get the expected answer, and socket errors.
    pub(crate) errors: u64,
    /// Requests (or sign-ins) completed.
    pub(crate) count: u64,
    /// CPU time the app used per request (or sign-in), all its threads: unlike requests per
    /// second, this hardly moves when other work shares the machine.
    pub(crate) app_cpu: Duration,
    /// For sign-ins, the CPU this process (the clients and the fake GitHub) spent on each:
    /// on a small machine, the app's sign-in rate is capped by what this leaves it.
    pub(crate) bench_cpu: Duration,
    /// CPU the PostgreSQL server (all its processes) used per request, when there is one.
    pub(crate) database_cpu: Option<Duration>,
    /// CPU nginx (master and workers) used per request, when the load goes through it.
    pub(crate) proxy_cpu: Option<Duration>,
    /// For refresh grants, what the store holds per family once the load is over.
    pub(crate) family_rows: Option<FamilyRows>,
}

impl Figures {
    /// A client loop's figures: `times`, each a step that succeeded, over `elapsed`, and
    /// how many failed (the first failure said on stderr, naming the steps as `what`).
    pub(crate) fn of_steps(
        what: &str,
        mut times: Vec<std::time::Duration>,
        errors: &[String],
        elapsed: std::time::Duration,
    ) -> Figures {
        if let Some(first) = errors.first() {
            eprintln!("bench: {} {what} failed; the first: {first}", errors.len());
        }
        times.sort();
        Figures {
            per_sec: times.len() as f64 / elapsed.as_secs_f64(),
            p50: percentile(&times, 0.50),
            p99: percentile(&times, 0.99),
            errors: errors.len() as u64,
            count: times.len() as u64,
            ..Figures::default()
        }
    }

    /// Shares out the CPU each part used during the measurement over what it completed.
    pub(crate) fn charge(&mut self, used: &CpuUse, target: &Target) {
        self.app_cpu = per(used.apps, self.count);
        self.bench_cpu = per(used.bench, self.count);
        self.database_cpu = target.database.map(|_| per(used.database, self.count));
        self.proxy_cpu = target.proxy.map(|_| per(used.proxy, self.count));
    }
}

/// Where a measurement sends its load, and whose CPU it counts.
pub(crate) struct Target<'a> {
    pub(crate) url: &'a str,
    pub(crate) session_cookie: &'a str,
    /// The API scenarios' requests, where they are measured.
    pub(crate) api_calls: Option<&'a ApiCalls>,
    /// The provider scenarios' app, where they are measured.
    pub(crate) relying_party: Option<&'a RelyingParty>,
    /// The store behind `url`.
    pub(crate) database_url: &'a str,
    /// The instances behind `url`.
    pub(crate) apps: Vec<u32>,
    /// The PostgreSQL postmaster, if the store is PostgreSQL: it and its children count.
    pub(crate) database: Option<u32>,
    /// nginx's master, if `url` is nginx: it and its workers count.
    pub(crate) proxy: Option<u32>,
}

/// CPU time used so far by each part of a target, and by this process.
pub(crate) struct CpuUse {
    pub(crate) apps: Duration,
    pub(crate) database: Duration,
    pub(crate) proxy: Duration,
    pub(crate) bench: Duration,
}

impl CpuUse {
    pub(crate) fn now(target: &Target) -> CpuUse {
        CpuUse {
            apps: target.apps.iter().map(|&pid| cpu_time(pid)).sum(),
            database: target.database.map_or(Duration::ZERO, tree_cpu_time),
            proxy: target.proxy.map_or(Duration::ZERO, tree_cpu_time),
            bench: cpu_time(std::process::id()),
        }
    }

    /// What was used since `before`. A child that ended in between (a PostgreSQL backend,
    /// an autovacuum worker) still counts: once reaped, its CPU is in its parent's cutime
    /// and cstime, which `tree_cpu_time` adds. Only one reaped between the reading of the
    /// parent and that of the children can be missed; a part is never negative.
    pub(crate) fn since(&self, before: &CpuUse) -> CpuUse {
        CpuUse {
            apps: self.apps.saturating_sub(before.apps),
            database: self.database.saturating_sub(before.database),
            proxy: self.proxy.saturating_sub(before.proxy),
            bench: self.bench.saturating_sub(before.bench),
        }
    }
}
