//! The `gitlogin` binary: the server, and the operator's commands next to it (`src/cli.rs`).
//! It runs from any directory: its templates, static files and `Rocket.toml` defaults are
//! compiled in, and those files in the working directory override them.

use std::process::ExitCode;

fn main() -> ExitCode {
    one_malloc_arena();
    // What `#[rocket::main]` expands to, written out so that the line above runs first.
    rocket::async_main(gitlogin::cli::run())
}

/// glibc's allocator gives each thread that allocates at the same time as another an arena of
/// its own, up to eight per core, and memory freed in one arena serves only that arena: with
/// Rocket's workers and sqlx's one thread per SQLite connection, each kept a few hundred KiB
/// to itself. Two arenas, set before the runtime starts its threads, lowered the whole
/// benchmark's peak memory (VmHWM) from 33.3 to 31.8 MiB on 1,000 rows (to 29.2 MiB with the
/// pool of four in `Rocket.toml`); one arena, with the release profile's fat LTO, from
/// 27.2–27.5 to 24.9–26.1 MiB over two runs (issue 27's bound is 25), the heap from ~9.5 MiB
/// over two arenas to 7.3–8.4 MiB in one. Neither changed app CPU per request more than the benchmark's noise
/// (bench/results.md, "Issue 27"). The same as `MALLOC_ARENA_MAX=1`, which, set in the
/// environment, still wins.
fn one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: called before any other thread exists; mallopt only sets a limit.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 1);
        }
    }
}
