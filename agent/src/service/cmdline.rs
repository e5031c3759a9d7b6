//! What an argv says, whatever the program: the script or module a Python
//! interpreter runs, and the service name a Python module spec or file
//! implies. Pure functions; the WSGI servers are in `server`.
//!
//! A service is named after the *top-level package* of its app module, the
//! Django project: `shop.wsgi:application` → `shop`. When that package has a
//! generic name (`wsgi`, `app`, `main`, ...: a `wsgi.py` in the server's
//! working directory), the directory given by `--chdir` names the service
//! instead: `wsgi:app` with `--chdir /srv/shop` → `shop`.

use std::path::Path;

use super::bounded_name;

/// Module or file names that say nothing about the service.
const GENERIC: [&str; 6] = ["wsgi", "asgi", "app", "application", "main", "server"];

/// The name of the script an interpreter runs, without `.py`:
/// `python3 /opt/jobs/report.py` → `report`, `python -m http.server` →
/// `http.server`. `None` when `argv` is not an interpreter running a script
/// (`python3 -c ...`, a REPL, or any other program).
pub fn script_name(argv: &[String]) -> Option<String> {
    let invocation = invocation(argv);
    if !invocation.interpreted {
        return None;
    }
    let program = invocation.program;
    bounded_name(program.strip_suffix(".py").unwrap_or(program))
}

/// The top-level package of a Python module spec: `shop.wsgi:application`
/// → `shop`, `shop:create_app()` → `shop`. `None` unless it is an
/// identifier.
pub fn top_level_package(spec: &str) -> Option<&str> {
    let module = spec.split(':').next()?.trim();
    let top = module.split('.').next()?;
    is_identifier(top).then_some(top)
}

/// What actually runs: the program, or for a Python interpreter the script
/// or `-m` module it runs, and the arguments that program sees.
pub struct Invocation<'a> {
    /// Basename of the program or script, or the `-m` module.
    pub program: &'a str,
    /// `program` is a script or module run by an interpreter.
    pub interpreted: bool,
    pub args: &'a [String],
}

/// How `argv` runs; see [`Invocation`]. Python's own options (`-u`,
/// grouped `-uB`, `-X dev`, `-Wignore`, `-c`, `-m`, `--`) are skipped or
/// followed as the interpreter would.
pub fn invocation(argv: &[String]) -> Invocation<'_> {
    let Some((first, rest)) = argv.split_first() else {
        return Invocation {
            program: "",
            interpreted: false,
            args: &[],
        };
    };
    let interpreter = basename(first);
    let itself = Invocation {
        program: interpreter,
        interpreted: false,
        args: rest,
    };
    if !is_python(interpreter) {
        return itself;
    }
    let mut index = 0;
    while let Some(arg) = rest.get(index) {
        index += 1;
        if arg == "--" {
            break;
        }
        let Some(flags) = arg.strip_prefix('-') else {
            // The script.
            index -= 1;
            break;
        };
        if flags.is_empty() {
            return itself; // `-`: the program comes from stdin.
        }
        if let Some(long) = flags.strip_prefix('-') {
            if long == "check-hash-based-pycs" {
                index += 1;
            }
            continue;
        }
        // Grouped short flags (`-uB`); the first that takes a value takes
        // the rest of the group, or the next argument.
        for (at, flag) in flags.char_indices() {
            let attached = &flags[at + flag.len_utf8()..];
            if !matches!(flag, 'm' | 'c' | 'W' | 'X') {
                continue;
            }
            let value = if attached.is_empty() {
                index += 1;
                rest.get(index - 1).map(String::as_str)
            } else {
                Some(attached)
            };
            match (flag, value) {
                ('m', Some(module)) => {
                    return Invocation {
                        program: module,
                        interpreted: true,
                        args: rest.get(index..).unwrap_or_default(),
                    }
                }
                ('m' | 'c', _) => return itself,
                _ => break,
            }
        }
    }
    match rest.get(index) {
        Some(script) => Invocation {
            program: basename(script),
            interpreted: true,
            args: &rest[index + 1..],
        },
        None => itself,
    }
}

/// `python`, `python3`, `python3.12`, `pypy3`.
fn is_python(program: &str) -> bool {
    ["python", "pypy"].iter().any(|prefix| {
        program
            .strip_prefix(prefix)
            .is_some_and(|version| version.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
    })
}

/// `shop.wsgi:application` → `shop`; `wsgi:app` with `--chdir /srv/shop` →
/// `shop`.
pub fn name_from_module(spec: &str, chdir: Option<&str>) -> Option<String> {
    let top = top_level_package(spec);
    match top {
        Some(top) if !GENERIC.contains(&top) => bounded_name(top),
        _ => chdir
            .and_then(dir_name)
            .or_else(|| top.and_then(bounded_name)),
    }
}

/// `shop/wsgi.py` → `shop` (the project directory holding a generic file);
/// `/srv/api.py` → `api`; `wsgi.py` with `--chdir /srv/shop` → `shop`.
pub fn name_from_file(path: &str, chdir: Option<&str>) -> Option<String> {
    let path = Path::new(path);
    let stem = path.file_stem()?.to_str()?;
    if !GENERIC.contains(&stem) {
        return bounded_name(stem);
    }
    path.parent()
        .and_then(Path::file_name)
        .and_then(|dir| dir.to_str())
        .and_then(bounded_name)
        .or_else(|| chdir.and_then(dir_name))
        .or_else(|| bounded_name(stem))
}

/// `/srv/shop/` → `shop`.
pub fn dir_name(dir: &str) -> Option<String> {
    Path::new(dir).file_name()?.to_str().and_then(bounded_name)
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn scripts_name_interpreted_programs() {
        let cases = [
            ("python3 /opt/jobs/report.py --daily", Some("report")),
            ("python3 -u -X dev -W ignore script.py", Some("script")),
            ("python3 -Xdev -Wignore script.py", Some("script")),
            (
                "/usr/bin/python3.11 -m http.server 8000",
                Some("http.server"),
            ),
            ("python3 -- script.py", Some("script")),
            ("python3 --check-hash-based-pycs always x.py", Some("x")),
            ("pypy3 worker.py", Some("worker")),
            ("python3 -c print(1)", None),
            ("python3 -", None),
            ("python3 -m", None),
            ("python3", None),
            ("python3 -u", None),
            ("/usr/sbin/nginx -g daemon", None),
            ("pythonista app.py", None),
        ];
        for (line, name) in cases {
            assert_eq!(script_name(&argv(line)).as_deref(), name, "{line}");
        }
        assert_eq!(script_name(&[]), None);
    }

    #[test]
    fn module_specs() {
        assert_eq!(top_level_package("shop.wsgi:application"), Some("shop"));
        assert_eq!(top_level_package("shop:create_app()"), Some("shop"));
        assert_eq!(top_level_package("_private.x"), Some("_private"));
        assert_eq!(top_level_package("1shop.wsgi"), None);
        assert_eq!(top_level_package("/srv/shop.py"), None);
        assert_eq!(top_level_package(":app"), None);
        assert_eq!(top_level_package(""), None);
    }

    #[test]
    fn odd_arguments_never_panic() {
        for line in super::super::odd_command_lines() {
            let _ = script_name(&line);
        }
    }
}
