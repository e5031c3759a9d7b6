//! Resolution of one pid against /proc: its group leader, then the leader's
//! name. Uncached; [`super::ServiceCache`] keeps the results.

use tracing::debug;

use super::cmdline;
use super::environ;
use super::proc::ProcFs;
use super::server::{self, Server};
use super::{bounded_name, NameSource, ServiceIdentity, UNKNOWN_SERVICE};

/// How far up a chain of same-app servers a worker is followed (a master,
/// plus gunicorn's re-exec on USR2, which forks a new master under the old
/// one); more means a loop or something odd.
const MAX_GROUP_DEPTH: usize = 8;

/// A live process, as far as naming needs.
#[derive(Debug)]
pub struct Process {
    pub pid: u32,
    pub argv: Vec<String>,
    pub server: Option<Server>,
}

/// The process `pid`, or `None` when it has exited, is a zombie or a kernel
/// thread (no command line).
pub fn process(proc: &ProcFs, pid: u32) -> Option<Process> {
    let argv = proc.cmdline(pid).ok().filter(|argv| !argv.is_empty())?;
    Some(Process {
        pid,
        server: server::server(&argv),
        argv,
    })
}

/// The master of a gunicorn or uwsgi worker (walking up while the parent
/// is the same server serving the same app); any other process leads its
/// own group.
pub fn group_leader(proc: &ProcFs, mut process: Process) -> Process {
    for _ in 0..MAX_GROUP_DEPTH {
        let Some(server) = &process.server else { break };
        let Some(ppid) = proc
            .ppid(process.pid)
            .filter(|&ppid| ppid != 0 && ppid != process.pid)
        else {
            break;
        };
        let Some(parent) = self::process(proc, ppid) else {
            break;
        };
        let same = parent.server.as_ref().is_some_and(|parent_server| {
            server.same_service(&process.argv, parent_server, &parent.argv)
        });
        if !same {
            break;
        }
        process = parent;
    }
    process
}

/// The identity of a group leader. `comm` is the kernel's task name from the
/// event, used only if /proc has nothing better.
pub fn identify(
    proc: &ProcFs,
    host: &str,
    leader: &Process,
    comm: Option<&str>,
) -> ServiceIdentity {
    let mut env = proc.environ(leader.pid).unwrap_or_else(|error| {
        debug!(pid = leader.pid, %error, "environ unreadable, naming the service without it");
        Vec::new()
    });
    if let Some(server) = &leader.server {
        env.push(0);
        env.extend_from_slice(&server.env);
    }
    let (name, source) = environ::otel_service_name(&env)
        .map(|name| (name, NameSource::OtelServiceName))
        .or_else(|| {
            environ::django_service_name(&env).map(|name| (name, NameSource::DjangoSettings))
        })
        .or_else(|| {
            let name = leader.server.as_ref()?.name.clone()?;
            Some((name, NameSource::AppModule))
        })
        .unwrap_or_else(|| (executable_name(proc, leader, comm), NameSource::Executable));
    ServiceIdentity {
        name: name.into(),
        instance: instance(host, leader.pid),
        source,
        group_pid: leader.pid,
    }
}

/// The identity of a process that is gone (or has no command line): its
/// comm, from the event or a zombie's /proc entry, and its own pid.
pub fn fallback(proc: &ProcFs, host: &str, pid: u32, comm: Option<&str>) -> ServiceIdentity {
    let name = comm
        .and_then(bounded_name)
        .or_else(|| proc.comm(pid).as_deref().and_then(bounded_name))
        .unwrap_or_else(|| UNKNOWN_SERVICE.to_owned());
    ServiceIdentity {
        name: name.into(),
        instance: instance(host, pid),
        source: NameSource::Executable,
        group_pid: pid,
    }
}

fn executable_name(proc: &ProcFs, process: &Process, comm: Option<&str>) -> String {
    cmdline::script_name(&process.argv)
        .or_else(|| proc.exe_name(process.pid).as_deref().and_then(bounded_name))
        .or_else(|| comm.and_then(bounded_name))
        .or_else(|| proc.comm(process.pid).as_deref().and_then(bounded_name))
        .unwrap_or_else(|| UNKNOWN_SERVICE.to_owned())
}

fn instance(host: &str, pid: u32) -> String {
    format!("{host}:{pid}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::fake_proc::FakeProc;

    const GUNICORN: &[&str] = &[
        "/venv/bin/python3",
        "/venv/bin/gunicorn",
        "shop.wsgi:application",
        "-w",
        "2",
    ];

    fn resolve(fake: &FakeProc, pid: u32, comm: Option<&str>) -> ServiceIdentity {
        let proc = fake.proc();
        match process(&proc, pid) {
            Some(process) => identify(&proc, "host", &group_leader(&proc, process), comm),
            None => fallback(&proc, "host", pid, comm),
        }
    }

    #[test]
    fn gunicorn_workers_resolve_to_their_master() {
        let fake = FakeProc::new();
        fake.process(1, 0, &["/sbin/init"], b"", None);
        fake.process(
            100,
            1,
            GUNICORN,
            b"PATH=/bin\0",
            Some("/usr/bin/python3.11"),
        );
        fake.process(
            101,
            100,
            GUNICORN,
            b"PATH=/bin\0",
            Some("/usr/bin/python3.11"),
        );
        fake.process(
            102,
            100,
            GUNICORN,
            b"PATH=/bin\0",
            Some("/usr/bin/python3.11"),
        );
        let expected = ServiceIdentity {
            name: "shop".into(),
            instance: "host:100".to_owned(),
            source: NameSource::AppModule,
            group_pid: 100,
        };
        for pid in [100, 101, 102] {
            assert_eq!(resolve(&fake, pid, None), expected, "{pid}");
        }
    }

    #[test]
    fn retitled_workers_resolve_to_their_master() {
        let fake = FakeProc::new();
        fake.process(
            200,
            1,
            &["gunicorn: master [shop.wsgi:application]"],
            b"",
            None,
        );
        fake.process(
            201,
            200,
            &["gunicorn: worker [shop.wsgi:application]"],
            b"",
            None,
        );
        let worker = resolve(&fake, 201, None);
        assert_eq!((worker.name.as_str(), worker.group_pid), ("shop", 200));
    }

    #[test]
    fn uwsgi_vassals_are_not_their_emperor() {
        let fake = FakeProc::new();
        fake.process(
            300,
            1,
            &["uwsgi", "--emperor", "/etc/uwsgi/vassals"],
            b"",
            Some("/usr/bin/uwsgi-core"),
        );
        let vassal = &["uwsgi", "--module", "shop.wsgi:application", "--master"];
        fake.process(301, 300, vassal, b"", Some("/usr/bin/uwsgi-core"));
        fake.process(302, 301, vassal, b"", Some("/usr/bin/uwsgi-core"));
        let worker = resolve(&fake, 302, None);
        assert_eq!((worker.name.as_str(), worker.group_pid), ("shop", 301));
        let emperor = resolve(&fake, 300, None);
        assert_eq!(emperor.name, "uwsgi-core");
        assert_eq!(emperor.source, NameSource::Executable);
    }

    #[test]
    fn sources_in_order() {
        let fake = FakeProc::new();
        let both = b"OTEL_SERVICE_NAME=checkout\0DJANGO_SETTINGS_MODULE=cart.settings\0";
        fake.process(10, 1, GUNICORN, both, None);
        fake.process(
            11,
            1,
            GUNICORN,
            b"DJANGO_SETTINGS_MODULE=cart.settings\0",
            None,
        );
        let with_env = &["gunicorn", "-e", "OTEL_SERVICE_NAME=api", "shop.wsgi"];
        fake.process(12, 1, with_env, b"", None);
        // /proc environ wins over --env for the same variable.
        fake.process(13, 1, with_env, b"OTEL_SERVICE_NAME=proc\0", None);
        fake.process(
            14,
            1,
            &["python3", "/opt/report.py"],
            b"",
            Some("/usr/bin/python3.11"),
        );
        fake.process(
            15,
            1,
            &["/usr/sbin/nginx", "-g", "daemon off;"],
            b"",
            Some("/usr/sbin/nginx (deleted)"),
        );
        fake.process(16, 1, &["nginx: worker process"], b"", None);
        let cases = [
            (10, "checkout", NameSource::OtelServiceName),
            (11, "cart", NameSource::DjangoSettings),
            (12, "api", NameSource::OtelServiceName),
            (13, "proc", NameSource::OtelServiceName),
            (14, "report", NameSource::Executable),
            (15, "nginx", NameSource::Executable),
            // No exe link: the comm FakeProc wrote ("nginx: worker p").
            (16, "nginx: worker p", NameSource::Executable),
        ];
        for (pid, name, source) in cases {
            let identity = resolve(&fake, pid, None);
            assert_eq!(
                (identity.name.as_str(), identity.source),
                (name, source),
                "{pid}"
            );
        }
        // The event's comm stands in for /proc's (they are the same task name).
        assert_eq!(resolve(&fake, 16, Some("nginx")).name, "nginx");
    }

    #[test]
    fn unreadable_environ_is_skipped() {
        let fake = FakeProc::new();
        fake.process(20, 1, GUNICORN, b"OTEL_SERVICE_NAME=x\0", None);
        fake.unreadable_environ(20);
        let identity = resolve(&fake, 20, None);
        assert_eq!(
            (identity.name.as_str(), identity.source),
            ("shop", NameSource::AppModule)
        );
    }

    #[test]
    fn gone_processes_fall_back_to_their_comm() {
        let fake = FakeProc::new();
        assert_eq!(resolve(&fake, 30, Some("gunicorn\0\0\0")).name, "gunicorn");
        assert_eq!(resolve(&fake, 30, Some("")).name, UNKNOWN_SERVICE);
        assert_eq!(resolve(&fake, 30, None).name, UNKNOWN_SERVICE);
        // A zombie: no cmdline, but still a comm.
        fake.process(31, 1, &[], b"", None);
        fake.comm(31, "worker");
        let zombie = resolve(&fake, 31, None);
        assert_eq!(
            zombie,
            ServiceIdentity {
                name: "worker".into(),
                instance: "host:31".to_owned(),
                source: NameSource::Executable,
                group_pid: 31,
            }
        );
    }

    #[test]
    fn parent_loops_and_gaps_end_the_walk() {
        let fake = FakeProc::new();
        // A stat that names itself as parent, and one whose parent is gone.
        fake.process(40, 40, GUNICORN, b"", None);
        fake.process(41, 99, GUNICORN, b"", None);
        assert_eq!(resolve(&fake, 40, None).group_pid, 40);
        assert_eq!(resolve(&fake, 41, None).group_pid, 41);
        // A cycle between two same-app servers stops at the depth limit.
        fake.process(42, 43, GUNICORN, b"", None);
        fake.process(43, 42, GUNICORN, b"", None);
        assert!([42, 43].contains(&resolve(&fake, 42, None).group_pid));
    }
}
