//! Gunicorn and uwsgi command lines: which server, which app, which
//! service name (see `cmdline` for how a module names a service), and
//! whether a parent process is a worker's master. Pure functions over argv.

use super::bounded_name;
use super::cmdline::{dir_name, invocation, is_identifier, name_from_file, name_from_module};

/// Gunicorn options that take no value (argparse `store_true`/`store_const`;
/// long names without `--`, short letters). Every other option consumes the
/// next argument, as it does in gunicorn: `--access-logfile -` is common.
const GUNICORN_FLAGS: &[&str] = &[
    "reload",
    "spew",
    "check-config",
    "print-config",
    "preload",
    "no-sendfile",
    "reuse-port",
    "daemon",
    "enable-stdio-inheritance",
    "capture-output",
    "log-syslog",
    "disable-redirect-access-to-syslog",
    "initgroups",
    "proxy-protocol",
    "do-handshake-on-connect",
    "suppress-ragged-eofs",
    "strip-header-spaces",
    "permit-unconventional-http-method",
    "permit-unconventional-http-version",
    "casefold-http-method",
    "version",
    "help",
    "D",
    "R",
    "v",
    "h",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    Gunicorn,
    Uwsgi,
}

/// A gunicorn or uwsgi process, master or worker (workers are forks of the
/// master and share its argv).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub kind: ServerKind,
    /// What the server serves, as written: the app module
    /// (`shop.wsgi:application`), wsgi file, or gunicorn `--name`. Master
    /// and workers share it; two servers with different apps are two
    /// services.
    pub app: Option<String>,
    /// The service name the app implies.
    pub name: Option<String>,
    /// `KEY=VALUE\0` entries from `--env`/`-e`: the server sets them in
    /// `os.environ` after exec, so they are never in /proc/PID/environ.
    pub env: Vec<u8>,
    /// The process title was rewritten (gunicorn with `setproctitle`
    /// installed: `gunicorn: worker [shop.wsgi:application]`; uwsgi
    /// `--auto-procname`: `uWSGI worker 1`), so master and workers no longer
    /// share an argv.
    pub retitled: bool,
}

impl Server {
    /// Whether this process and `parent` (its parent process) serve the
    /// same app: a worker and its master. A uwsgi emperor and its vassals
    /// are not: their apps (or, with no app on the command line, their
    /// argv) differ.
    pub fn same_service(&self, argv: &[String], parent: &Server, parent_argv: &[String]) -> bool {
        self.kind == parent.kind
            && match (&self.app, &parent.app) {
                (Some(app), Some(parent_app)) => app == parent_app,
                (None, None) => self.retitled || parent.retitled || argv == parent_argv,
                _ => false,
            }
    }
}

/// The server behind `argv`, if it is gunicorn or uwsgi, however started:
/// `gunicorn ...`, `/venv/bin/python3 /venv/bin/gunicorn ...` (a script's
/// shebang), `python -m gunicorn ...`, `uwsgi ...`, `python -m pyuwsgi ...`,
/// or a rewritten title.
pub fn server(argv: &[String]) -> Option<Server> {
    let title = argv.first()?;
    // `setproctitle` leaves one argument, but an argv split on its spaces
    // says the same.
    if title.starts_with("gunicorn:") {
        return Some(retitled_gunicorn(&argv.join(" ")));
    }
    if title == "uWSGI" || title.starts_with("uWSGI ") {
        return Some(Server {
            kind: ServerKind::Uwsgi,
            app: None,
            name: None,
            env: Vec::new(),
            retitled: true,
        });
    }
    let invocation = invocation(argv);
    match server_kind(invocation.program)? {
        ServerKind::Gunicorn => Some(gunicorn(invocation.args)),
        ServerKind::Uwsgi => Some(uwsgi(invocation.args)),
    }
}

fn server_kind(program: &str) -> Option<ServerKind> {
    match program {
        "gunicorn" | "gunicorn3" | "gunicorn_django" => Some(ServerKind::Gunicorn),
        // `python -m gunicorn.app.wsgiapp` (older docs).
        module if module.starts_with("gunicorn.") => Some(ServerKind::Gunicorn),
        // Debian installs `uwsgi-core` and `uwsgi_python3`-style binaries.
        "uwsgi" | "uwsgi-core" | "pyuwsgi" => Some(ServerKind::Uwsgi),
        binary if binary.starts_with("uwsgi_") => Some(ServerKind::Uwsgi),
        _ => None,
    }
}

/// `gunicorn: master [shop.wsgi:application]`: the brackets hold gunicorn's
/// proc_name, which is `--name` or else the app module (`gunicorn` when the
/// app comes from a config file, which names nothing).
fn retitled_gunicorn(title: &str) -> Server {
    let app = title
        .find('[')
        .zip(title.rfind(']'))
        .filter(|(open, close)| open < close)
        .map(|(open, close)| title[open + 1..close].trim())
        .filter(|app| !app.is_empty() && *app != "gunicorn");
    Server {
        kind: ServerKind::Gunicorn,
        app: app.map(str::to_owned),
        name: app.and_then(|app| name_from_title(app, None)),
        env: Vec::new(),
        retitled: true,
    }
}

/// `gunicorn [OPTIONS] [APP_MODULE]`: the app module is the one positional
/// argument; `-n/--name` is the operator's own name for it and wins.
/// Without either (the app set in a `-c` config file), `--chdir` names the
/// service.
fn gunicorn(args: &[String]) -> Server {
    let (mut app_module, mut chdir, mut title) = (None, None, None);
    let mut env = Vec::new();
    let mut index = 0;
    while let Some(arg) = args.get(index) {
        index += 1;
        if arg == "--" {
            app_module = app_module.or(args.get(index).map(String::as_str));
            break;
        }
        let (name, attached) = if let Some(long) = arg.strip_prefix("--") {
            long.split_once('=')
                .map_or((long, None), |(name, value)| (name, Some(value)))
        } else if let Some(short) = arg.strip_prefix('-').filter(|short| !short.is_empty()) {
            let (flag, rest) = short.split_at(short.chars().next().map_or(0, char::len_utf8));
            (flag, (!rest.is_empty()).then_some(rest))
        } else {
            app_module = app_module.or(Some(arg.as_str()));
            continue;
        };
        if GUNICORN_FLAGS.contains(&name) {
            continue;
        }
        let value = attached.or_else(|| {
            index += 1;
            args.get(index - 1).map(String::as_str)
        });
        match (name, value) {
            ("chdir", Some(value)) => chdir = chdir.or(Some(value)),
            ("name" | "n", Some(value)) => title = title.or(Some(value)),
            ("env" | "e", Some(value)) => push_env(&mut env, value),
            _ => {}
        }
    }
    let name = match (title, app_module) {
        (Some(title), _) => name_from_title(title, chdir),
        (None, Some(module)) => name_from_module(module, chdir),
        (None, None) => None,
    };
    Server {
        kind: ServerKind::Gunicorn,
        app: title.or(app_module).map(str::to_owned),
        name: name.or_else(|| chdir.and_then(dir_name)),
        env,
        retitled: false,
    }
}

/// uwsgi: `--module`/`-w`/`--wsgi shop.wsgi:application`, else
/// `--wsgi-file`/`--file shop/wsgi.py`, else `--chdir`. uwsgi has hundreds
/// of options, so only these are looked for, and an option's value is the
/// next argument only when that does not start with `-` (`--master` takes
/// none). Settings in ini/xml/yaml files are not read.
fn uwsgi(args: &[String]) -> Server {
    let (mut module, mut file, mut chdir) = (None, None, None);
    let mut env = Vec::new();
    let mut index = 0;
    while let Some(arg) = args.get(index) {
        index += 1;
        let (name, attached) = if arg.starts_with("--") {
            arg.split_once('=')
                .map_or((arg.as_str(), None), |(name, value)| (name, Some(value)))
        } else if let Some(value) = arg.strip_prefix("-w").filter(|value| !value.is_empty()) {
            ("-w", Some(value))
        } else {
            (arg.as_str(), None)
        };
        if !matches!(
            name,
            "--module" | "--wsgi" | "-w" | "--wsgi-file" | "--file" | "--chdir" | "--env"
        ) {
            continue;
        }
        let value = attached.or_else(|| {
            let next = args.get(index).filter(|next| !next.starts_with('-'))?;
            index += 1;
            Some(next.as_str())
        });
        let Some(value) = value else { continue };
        match name {
            "--module" | "--wsgi" | "-w" => module = module.or(Some(value)),
            "--wsgi-file" | "--file" => file = file.or(Some(value)),
            "--chdir" => chdir = chdir.or(Some(value)),
            _ => push_env(&mut env, value),
        }
    }
    let name = match (module, file) {
        (Some(module), _) => name_from_module(module, chdir),
        (None, Some(file)) => name_from_file(file, chdir),
        (None, None) => None,
    };
    Server {
        kind: ServerKind::Uwsgi,
        app: module.or(file).map(str::to_owned),
        name: name.or_else(|| chdir.and_then(dir_name)),
        env,
        retitled: false,
    }
}

fn push_env(env: &mut Vec<u8>, entry: &str) {
    env.extend_from_slice(entry.as_bytes());
    env.push(0);
}

/// A gunicorn proc_name: a module spec is named like one (`shop.wsgi:app` →
/// `shop`), anything else (`--name shop-api`) is taken as written.
fn name_from_title(title: &str, chdir: Option<&str>) -> Option<String> {
    let module = title.split(':').next().unwrap_or_default();
    let is_module_spec =
        (title.contains(':') || module.contains('.')) && module.split('.').all(is_identifier);
    if is_module_spec {
        name_from_module(title, chdir)
    } else {
        bounded_name(title)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_owned).collect()
    }

    fn app_name(line: &str) -> Option<(ServerKind, Option<String>)> {
        server(&argv(line)).map(|server| (server.kind, server.name))
    }

    #[test]
    fn gunicorn_command_lines() {
        use ServerKind::Gunicorn;
        let shop = Some((Gunicorn, Some("shop".to_owned())));
        let cases = [
            "gunicorn shop.wsgi:application -w 4",
            "gunicorn shop.wsgi",
            "/venv/bin/gunicorn -w 4 -b 0.0.0.0:8000 shop.wsgi:application",
            "/venv/bin/python3 /venv/bin/gunicorn shop.wsgi:application",
            "python3.11 -u -m gunicorn --bind=unix:/run/shop.sock shop.wsgi",
            "python -m gunicorn.app.wsgiapp shop.wsgi:application",
            "python3 -um gunicorn shop.wsgi",
            "gunicorn -c /etc/gunicorn.conf.py shop.wsgi:application",
            "gunicorn -c/etc/gunicorn.conf.py -w4 shop.wsgi:application",
            "gunicorn --reload --preload -D shop.wsgi:application --access-logfile -",
            "gunicorn --access-logfile - --error-logfile - shop.wsgi",
            "gunicorn -k gthread --threads 4 shop.wsgi:application",
            "gunicorn --chdir /srv/shop wsgi:application",
            "gunicorn --chdir=/srv/shop/ app:app",
            "gunicorn -c conf.py --chdir /srv/shop",
            "gunicorn shop:create_app()",
            "gunicorn -w 2 -- shop.wsgi",
        ];
        for line in cases {
            assert_eq!(app_name(line), shop, "{line}");
        }
        assert_eq!(
            app_name("gunicorn -n shop-api shop.wsgi"),
            Some((Gunicorn, Some("shop-api".to_owned())))
        );
        assert_eq!(
            app_name("gunicorn --name=cart.wsgi:app shop.wsgi"),
            Some((Gunicorn, Some("cart".to_owned())))
        );
        assert_eq!(app_name("gunicorn -c conf.py"), Some((Gunicorn, None)));
        assert_eq!(
            app_name("gunicorn wsgi:application"),
            Some((Gunicorn, Some("wsgi".to_owned())))
        );
    }

    #[test]
    fn gunicorn_env_options_are_kept() {
        let server = server(&argv(
            "gunicorn -e DJANGO_SETTINGS_MODULE=shop.settings --env=A=1 x.wsgi",
        ))
        .unwrap();
        assert_eq!(server.env, b"DJANGO_SETTINGS_MODULE=shop.settings\0A=1\0");
        assert_eq!(server.app.as_deref(), Some("x.wsgi"));
    }

    #[test]
    fn retitled_gunicorn() {
        let master = server(&["gunicorn: master [shop.wsgi:application]".to_owned()]).unwrap();
        assert_eq!(master.kind, ServerKind::Gunicorn);
        assert_eq!(master.app.as_deref(), Some("shop.wsgi:application"));
        assert_eq!(master.name.as_deref(), Some("shop"));
        assert!(master.retitled);
        let named = server(&["gunicorn: worker [shop api]".to_owned()]).unwrap();
        assert_eq!(named.name.as_deref(), Some("shop api"));
        let unnamed = server(&["gunicorn: master [gunicorn]".to_owned()]).unwrap();
        assert_eq!((unnamed.app, unnamed.name), (None, None));
        let broken = server(&["gunicorn: master ]x[".to_owned()]).unwrap();
        assert_eq!(broken.app, None);
    }

    #[test]
    fn uwsgi_command_lines() {
        use ServerKind::Uwsgi;
        let shop = Some((Uwsgi, Some("shop".to_owned())));
        let cases = [
            "uwsgi --module shop.wsgi:application --master --processes 4",
            "uwsgi --master --module=shop.wsgi",
            "uwsgi -w shop.wsgi:application",
            "uwsgi -wshop.wsgi",
            "uwsgi --http :8000 --wsgi-file shop/wsgi.py",
            "/usr/bin/uwsgi_python3 --chdir /srv/shop --wsgi-file wsgi.py",
            "uwsgi --chdir /srv/shop --module wsgi:application",
            "uwsgi --file /srv/shop/shop.py",
            "python3 -m pyuwsgi --module shop.wsgi",
            "uwsgi --chdir /srv/shop --ini uwsgi.ini",
        ];
        for line in cases {
            assert_eq!(app_name(line), shop, "{line}");
        }
        assert_eq!(
            app_name("uwsgi --ini /etc/uwsgi/shop.ini"),
            Some((Uwsgi, None))
        );
        assert_eq!(app_name("uwsgi shop.ini"), Some((Uwsgi, None)));
        assert_eq!(app_name("uwsgi --module"), Some((Uwsgi, None)));
        assert_eq!(app_name("uwsgi --module --master"), Some((Uwsgi, None)));
        let server = server(&argv("uwsgi --env DJANGO_SETTINGS_MODULE=a.settings")).unwrap();
        assert_eq!(server.env, b"DJANGO_SETTINGS_MODULE=a.settings\0");
        let retitled = server_of("uWSGI worker 1");
        assert!(retitled.retitled && retitled.app.is_none());
    }

    fn server_of(line: &str) -> Server {
        server(&argv(line)).unwrap()
    }

    #[test]
    fn other_programs_are_not_servers() {
        for line in [
            "nginx: worker process",
            "python3 manage.py runserver",
            "python3 -c import gunicorn",
            "/usr/bin/uwsgitop",
            "celery -A shop worker",
            "python3",
            "",
        ] {
            assert_eq!(server(&argv(line)), None, "{line}");
        }
        assert_eq!(server(&[]), None);
    }

    #[test]
    fn workers_join_their_master() {
        let master = argv("gunicorn shop.wsgi:application -w 4");
        let worker = master.clone();
        let (m, w) = (server(&master).unwrap(), server(&worker).unwrap());
        assert!(w.same_service(&worker, &m, &master));

        let titled_master = argv("gunicorn: master [shop.wsgi:application]");
        let titled_worker = argv("gunicorn: worker [shop.wsgi:application]");
        let (m, w) = (
            server_of(&titled_master.join(" ")),
            server_of(&titled_worker.join(" ")),
        );
        assert!(w.same_service(&titled_worker, &m, &titled_master));

        let uwsgi_master = argv("uWSGI master");
        let uwsgi_worker = argv("uWSGI worker 2");
        assert!(server_of("uWSGI worker 2").same_service(
            &uwsgi_worker,
            &server_of("uWSGI master"),
            &uwsgi_master
        ));

        // A uwsgi emperor and its vassals are different services.
        let emperor = argv("uwsgi --emperor /etc/uwsgi/vassals");
        let vassal = argv("uwsgi --ini /etc/uwsgi/vassals/shop.ini");
        let with_module = argv("uwsgi --module shop.wsgi");
        assert!(!server_of(&vassal.join(" ")).same_service(
            &vassal,
            &server_of(&emperor.join(" ")),
            &emperor
        ));
        assert!(!server_of(&with_module.join(" ")).same_service(
            &with_module,
            &server_of(&emperor.join(" ")),
            &emperor
        ));

        // Nor are two gunicorns with different apps, or gunicorn under uwsgi.
        let other = argv("gunicorn cart.wsgi");
        assert!(!server_of(&other.join(" ")).same_service(
            &other,
            &server_of(&master.join(" ")),
            &master
        ));
        assert!(!server_of(&master.join(" ")).same_service(
            &master,
            &server_of(&with_module.join(" ")),
            &with_module
        ));
    }

    #[test]
    fn odd_arguments_never_panic() {
        for line in super::super::odd_command_lines() {
            let _ = server(&line);
        }
    }
}
