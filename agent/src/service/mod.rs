//! Which service a process belongs to: the `service.name` (and instance) of
//! its metrics and spans, worked out from /proc without any help from it.
//!
//! The name comes from the first of these that says something:
//!
//! 1. `OTEL_SERVICE_NAME` (or `service.name` in `OTEL_RESOURCE_ATTRIBUTES`)
//!    in /proc/PID/environ, or in gunicorn/uwsgi `--env` options: the
//!    operator's explicit choice, as for an OpenTelemetry SDK.
//! 2. `DJANGO_SETTINGS_MODULE` from the same places: its top-level package
//!    (`shop.settings` → `shop`).
//! 3. The gunicorn/uwsgi app module on the command line
//!    (`gunicorn shop.wsgi:application` → `shop`; see `server` and
//!    `cmdline`).
//! 4. The executable: the script an interpreter runs (`python3 report.py` →
//!    `report`), else the basename of /proc/PID/exe, else the comm.
//!
//! Reading another user's environ (and exe) needs root or CAP_SYS_PTRACE;
//! without it those sources are skipped, never an error.
//!
//! Gunicorn and uwsgi fork workers from a master; requests are served by the
//! workers, which come and go (`max_requests`). All of them are one service
//! instance: a worker is resolved to its master, whose pid is the
//! `group_pid` and the instance.

mod cache;
mod cmdline;
mod environ;
#[cfg(test)]
mod fake_proc;
mod proc;
mod resolve;
mod server;

pub use cache::ServiceCache;

use crate::events::Text;
pub use proc::ProcFs;

/// The service a process belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceIdentity {
    /// `service.name`, shared by every span and metric of the service.
    pub name: Text,
    /// `service.instance.id`: `host:pid` of the group leader (the gunicorn
    /// or uwsgi master, else the process itself), distinct for every
    /// running copy of a service on every host.
    pub instance: String,
    /// Where `name` came from, so that a surprising name can be explained.
    pub source: NameSource,
    /// The group leader's pid.
    pub group_pid: u32,
}

/// Where a [`ServiceIdentity`]'s name came from, most explicit first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameSource {
    /// `OTEL_SERVICE_NAME` or `service.name` in `OTEL_RESOURCE_ATTRIBUTES`.
    OtelServiceName,
    /// The project package of `DJANGO_SETTINGS_MODULE`.
    DjangoSettings,
    /// The gunicorn/uwsgi app module, wsgi file, `--name` or `--chdir`.
    AppModule,
    /// Script, executable or comm; also every process that exited before
    /// it could be looked at.
    Executable,
}

/// Longest name kept, in bytes: names are label values, set by whoever
/// started the process.
const MAX_NAME_LEN: usize = 128;

/// The name when nothing at all is known, as the OpenTelemetry SDKs name a
/// service nobody named.
const UNKNOWN_SERVICE: &str = "unknown_service";

/// A name from untrusted text: trimmed, control characters replaced, at most
/// [`MAX_NAME_LEN`] bytes; `None` when blank.
fn bounded_name(raw: &str) -> Option<String> {
    let trimmed = raw.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    let mut end = trimmed.len().min(MAX_NAME_LEN);
    while !trimmed.is_char_boundary(end) {
        end -= 1;
    }
    let name: String = trimmed[..end]
        .chars()
        .map(|c| if c.is_control() { '_' } else { c })
        .collect();
    (!name.is_empty()).then_some(name)
}

/// Command lines made of odd arguments around server and interpreter names,
/// for the parsers' never-panic tests.
#[cfg(test)]
fn odd_command_lines() -> Vec<Vec<String>> {
    let odd = [
        "", "-", "--", "---", "-\u{e9}", "--=", "-w", "-m", "-c", "-X", "\u{fffd}", "--name", "-n",
        "-e", "--env", "--chdir", "[", "]",
    ];
    let mut lines = Vec::new();
    for a in odd {
        for b in odd {
            for program in ["gunicorn", "uwsgi", "python3", "gunicorn: x", "uWSGI"] {
                lines.push(vec![program.to_owned(), a.to_owned(), b.to_owned()]);
                lines.push(vec![
                    "python3".to_owned(),
                    a.to_owned(),
                    program.to_owned(),
                    b.to_owned(),
                ]);
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_bounded_and_printable() {
        assert_eq!(bounded_name("  shop \n").as_deref(), Some("shop"));
        assert_eq!(bounded_name("sleep\0\0\0").as_deref(), Some("sleep"));
        assert_eq!(bounded_name("a\tb\x1bc").as_deref(), Some("a_b_c"));
        assert_eq!(bounded_name(" \0 "), None);
        let long = "\u{e9}".repeat(100);
        let name = bounded_name(&long).unwrap();
        assert!(name.len() <= MAX_NAME_LEN && name.chars().all(|c| c == '\u{e9}'));
    }
}
